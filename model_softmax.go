package gdgpu

import (
	"math"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// softmaxModel is multinomial logistic regression: softmax cross-entropy
// over K classes, one output (weight row and intercept) per class.
func softmaxModel() ModelInfo {
	return ModelInfo{
		Name: "softmax", Summary: "multinomial logistic regression, softmax cross-entropy over K classes (one weight row and intercept per class)", Labels: "0..K-1", Classifier: true,
		SumsOutputs: true,
		CPU:         func(*Job) CPUModelLoss { return softmaxLoss },
		GPU:         func(*Job) []string { return []string{"model_softmax.glsl"} },
		Predict: func(z []float64) int { // the first largest output
			arg := 0
			for k, v := range z {
				if v > z[arg] {
					arg = k
				}
			}
			return arg
		},
		Probabilities: func(z, p []float64) {
			mx := z[0]
			for _, v := range z {
				mx = max(mx, v)
			}
			sum := 0.0
			for k, v := range z {
				p[k] = kern.Exp(v - mx)
				sum += p[k]
			}
			for k := range p[:len(z)] {
				p[k] /= sum
			}
		},
	}
}

// softmaxLoss: l = logsumexp(z) - z_y, with the maximum subtracted first,
// dl/dz_k = softmax(z)_k - [k = y]; the prediction is the first largest
// z_k.
func softmaxLoss(loss float64, z, dz, y []float64, _ float64) (float64, int) {
	if len(y) == 0 {
		return loss, 0
	}
	k := len(z) / len(y)
	correct := 0
	for i, yi := range y {
		l, ok := softmaxRow(z[i*k:(i+1)*k], dz[i*k:(i+1)*k], yi)
		loss += l
		if ok {
			correct++
		}
	}
	return loss, correct
}

// softmaxRow is softmaxLoss's one row.
func softmaxRow(z, dz []float64, y float64) (float64, bool) {
	mx := z[0]
	arg := 0
	for k, v := range z {
		if v > mx {
			mx, arg = v, k
		}
	}
	s := 0.0
	for _, v := range z {
		s += kern.Exp(v - mx)
	}
	lse := mx + math.Log(s)
	c := int(y)
	for k, v := range z {
		dz[k] = kern.Exp(v - lse)
	}
	dz[c] -= 1
	return lse - z[c], arg == c
}
