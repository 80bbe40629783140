//go:build !amd64 || amd64.v3

package kern

// mathFused: gc fuses products into sums in Go's pure-Go math functions in
// this build (GOAMD64=v3, or another architecture), so Pow, Tanh, Sinh
// and Cosh, which round each product, need not be math's bits.
const mathFused = true
