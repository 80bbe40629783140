// Package gdgpu runs gradient descent on large parameter vectors, on the
// GPU (package engine, OpenGL compute shaders) or on the CPU in float64
// (package cpu, the reference the GPU is checked against), through one
// driver loop.
//
// The vocabulary is values that describe things:
//
//   - a Problem describes an objective: its dimensions, start point, float64
//     evaluator (CPU) and GLSL (GPU). Fifteen are built in (Problems lists
//     them); RegisterProblem adds your own;
//   - an Optimizer and a Schedule describe the update rule and the learning
//     rate, with torch.optim's rules, names and defaults;
//   - a Job puts them together with the steps, stopping rules, precision and,
//     for a model on data, the data; a JobRequest is a job as a user chooses
//     it (names, and which settings were given), whose Build fills the
//     defaults and checks the choices as the command line does;
//   - a Backend computes; Run drives it and returns a Result whose Status
//     says why the run stopped. Compare judges one run against another
//     (the GPU against the CPU) with a tolerance derived in
//     docs/tolerances.md.
//
// A descent in a few lines (errors elided):
//
//	job := gdgpu.NewJob() // Rosenbrock, N = 2^20, Adam, 1000 steps
//	b, _ := cpu.New(&job) // or, on the GPU: c, _ := engine.Open(engine.Options{}); b, _ := c.NewBackend(&job)
//	defer b.Close()
//	res, _ := gdgpu.Run(ctx, &job, b, job.StartPoint(), gdgpu.Hooks{})
//	fmt.Println(res.Status, res.Final.Loss)
//
// Everything that must be identical on both backends (start point, learning
// rate at each step, stopping rules, log cadence, batch order) is computed
// here, once, and handed to them. Backends do numbers only.
// examples/custom is a whole program that registers an objective written in
// Go and GLSL and runs it on either backend; docs/architecture.md describes
// the design.
package gdgpu
