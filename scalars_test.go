package gdgpu

import (
	"github.com/gdgpu/gdgpu/internal/kern"
	"math"
	"math/big"
	"testing"
)

// TestPowIntCorrectlyRounded compares powInt with b^t computed exactly in
// big.Float and rounded once.
func TestPowIntCorrectlyRounded(t *testing.T) {
	for _, b := range []float64{0.9, 0.999, 0.99, 0.5, 0.123456789} {
		for _, n := range []int{0, 1, 2, 3, 7, 10, 100, 1000, 12345} {
			if got, want := powInt(b, n), exactPow(b, n); got != want {
				t.Errorf("powInt(%v, %d) = %v, correctly rounded %v", b, n, got, want)
			}
		}
	}
}

// exactPow is b^n computed exactly and rounded once.
func exactPow(b float64, n int) float64 {
	exact := new(big.Float).SetPrec(4096).SetFloat64(1)
	bb := new(big.Float).SetPrec(4096).SetFloat64(b)
	for i := 0; i < n; i++ {
		exact.Mul(exact, bb)
	}
	f, _ := exact.Float64()
	return f
}

func TestScalars(t *testing.T) {
	adam, _ := DefaultOptimizer("adam")
	st := NewScalarState()
	s := adam.Scalars(1, 1e-3, &st)
	lr, b1, b2 := 1e-3, 0.9, 0.999 // variables: Go folds constant expressions exactly
	if s.StepSize != lr/(1-b1) || s.BC2Sqrt != math.Sqrt(1-b2) || s.Decay != 1 {
		t.Errorf("adam t=1: %+v", s)
	}

	adamw, _ := DefaultOptimizer("adamw")
	if s := adamw.Scalars(3, 0.5, &st); s.Decay != 1-0.5*1e-2 {
		t.Errorf("adamw decay %v", s.Decay)
	}

	ada, _ := DefaultOptimizer("adagrad")
	ada.LRDecay = 0.1
	if s := ada.Scalars(3, 1, &st); s.StepSize != 1/(1+2*0.1) {
		t.Errorf("adagrad clr %v", s.StepSize)
	}

	// NAdam: mu_t = beta1 (1 - 0.5 * 0.96^(t psi)); the product runs over steps.
	nadam, _ := DefaultOptimizer("nadam")
	st = NewScalarState()
	prod := 1.0
	for step := 1; step <= 3; step++ {
		s := nadam.Scalars(step, 2e-3, &st)
		mu := 0.9 * (1 - 0.5*kern.Pow(0.96, float64(step)*4e-3))
		next := 0.9 * (1 - 0.5*kern.Pow(0.96, float64(step+1)*4e-3))
		prod *= mu
		if s.CoefGrad != -2e-3*(1-mu)/(1-prod) || s.CoefAvg != -2e-3*next/(1-float64(prod*next)) || st.MuProduct != prod { // rounded: no FMA, as Scalars
			t.Errorf("nadam t=%d: %+v, product %v want %v", step, s, st.MuProduct, prod)
		}
	}

	// RAdam with beta2 = 0.999: rho_inf = 1999, rho_t = rho_inf - 2 t b2^t/(1-b2^t)
	// crosses 5 between t = 5 and t = 6.
	radam, _ := DefaultOptimizer("radam")
	for step := 1; step <= 8; step++ {
		s := radam.Scalars(step, 1e-3, &st)
		b2t := exactPow(0.999, step)
		rho := 1999 - 2*float64(step)*b2t/(1-b2t)
		if s.Rectified != (rho > 5) {
			t.Errorf("radam t=%d rho_t=%v rectified=%v", step, rho, s.Rectified)
		}
		if s.Rectified {
			want := math.Sqrt((rho - 4) * (rho - 2) * 1999 / (1995 * 1997 * rho))
			if math.Abs(s.Rect-want) > 1e-12*want {
				t.Errorf("radam t=%d rect %v want %v", step, s.Rect, want)
			}
		}
	}
	if s := radam.Scalars(5, 1e-3, &st); s.Rectified {
		t.Error("radam rectified at t=5")
	}
	if s := radam.Scalars(6, 1e-3, &st); !s.Rectified {
		t.Error("radam not rectified at t=6")
	}
}
