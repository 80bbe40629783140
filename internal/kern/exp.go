package kern

import "math"

// Exp is math.Exp as Go computes it on amd64 CPUs with FMA (math/exp_amd64.s's
// FMA path: Shibata's method, after SLEEF, public domain), with math.FMA for
// each fused step, so its bits are the same on every CPU and architecture
// (Pow, Tanh, Sinh, Cosh and Erf, which call it, on every amd64 CPU).
// math.Exp itself takes another path on amd64 CPUs without FMA, and other
// assembly on arm64, and those differ in the last bit for about a tenth of
// arguments; the CPU reference calls Exp so that its results do not depend
// on the machine (TestExpBits holds it to math.Exp where the CPU has FMA).
func Exp(x float64) float64 {
	const (
		log2e    = 1.4426950408889634073599246810018920
		ln2U     = 0.69314718055966295651160180568695068359375
		ln2L     = 0.28235290563031577122588448175013436025525412068e-12
		overflow = 7.09782712893384e+02
	)
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case math.IsInf(x, -1):
		return 0
	case x > overflow:
		return math.Inf(1)
	}
	// k = CVTSD2SL(log2e*x): to nearest, even on ties (adding and taking
	// away 1.5*2^52 rounds so, exactly, below 2^51 in magnitude); out of
	// int32's range the instruction gives math.MinInt32 (only below here,
	// where the result underflows to 0).
	t := float64(log2e * x)
	if t < math.MinInt32 {
		return 0
	}
	const round = 0x1.8p52
	fk := float64(float64(t+round) - round)
	k := int32(fk)
	x = math.FMA(-fk, ln2U, x)
	x = math.FMA(-fk, ln2L, x)
	x = float64(x * 0.0625)
	p := math.FMA(2.4801587301587301587e-5, x, 1.9841269841269841270e-4)
	p = math.FMA(p, x, 1.3888888888888888889e-3)
	p = math.FMA(p, x, 8.3333333333333333333e-3)
	p = math.FMA(p, x, 4.1666666666666666667e-2)
	p = math.FMA(p, x, 1.6666666666666666667e-1)
	p = math.FMA(p, x, 0.5)
	p = math.FMA(p, x, 1.0)
	x = float64(x * p)
	for range 3 {
		x = float64(x * float64(x+2))
	}
	x = math.FMA(x, float64(x+2), 1)
	// x * 2^k, as the assembly's ldexp: in two steps into the subnormals.
	b := k + 0x3FF // 32-bit, as ADDL
	switch {
	case b <= 0:
		if b < -52 {
			return 0
		}
		x = float64(x * math.Float64frombits(uint64(b+0x3FE)<<52))
		b = 1
	case b >= 0x7FF:
		return math.Inf(1)
	}
	return float64(x * math.Float64frombits(uint64(b)<<52))
}
