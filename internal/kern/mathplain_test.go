//go:build amd64 && !amd64.v3

package kern

// mathFused: gc does not fuse Go's pure-Go math functions in this build.
const mathFused = false
