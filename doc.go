// Package gdgpu holds the vocabulary shared by gdgpu's backends and its
// command-line tool: the Job that describes a descent (problem, optimizer,
// steps, precision), the Backend interface that a GPU or CPU implementation
// satisfies, the Status that says why a run stopped, and the one driver loop
// (Run) that both backends share.
//
// Everything that must be identical on both backends (start point, learning
// rate at each step, stopping rules, log cadence) is computed here, once, and
// handed to them. Backends do numbers only.
package gdgpu
