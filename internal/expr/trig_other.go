//go:build !amd64 || purego || amd64.v3

package expr

// blockTrig takes no elements here: math.Sin and math.Cos take them all
// (under GOAMD64 v3 the compiler fuses math/sin.go's products and sums
// into FMA, so four-lane code without FMA would not give math's bits).
func blockTrig(cos bool, d, a []float64) int { return 0 }
