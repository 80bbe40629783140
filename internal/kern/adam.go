package kern

// AdamConsts are the scalars of one Adam step as the vector kernel reads
// them (gdgpu's optimizer_adam.go fills them). adam_amd64.s addresses the
// fields by offset: keep the order.
type AdamConsts struct {
	C        float64 // prep's c: weight_decay (l2) or 1 - lr*weight_decay (decoupled)
	W, OmW   float64 // the lerp weight 1 - beta1 and 1 - w, as the scalar lerp holds them
	Beta2    float64
	OmB2     float64 // 1 - beta2
	StepSize float64 // lr/(1 - beta1^t)
	BC2Sqrt  float64 // sqrt(1 - beta2^t)
	Eps      float64
	Neg      float64 // -0: the sign bit, which maximize flips (broadcast from memory: AVX has no register broadcast)
	Flags    uint64  // AdamMaximize | AdamL2 | AdamDecoupled | AdamSmallLerp | AdamAmsgrad
}

// AdamConsts.Flags: which branches of the scalar rule the step takes.
const (
	AdamMaximize = 1 << iota
	AdamL2
	AdamDecoupled
	AdamSmallLerp
	AdamAmsgrad
)
