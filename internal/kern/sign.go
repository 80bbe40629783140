package kern

// Sign is -1, 0 or 1 (NaN stays NaN): the derivative of |v| the CPU
// kernels take (0 at the kink), as GLSL's sign() gives it.
func Sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return v
}
