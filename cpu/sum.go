package cpu

import "github.com/gdgpu/gdgpu/internal/kern"

// chunk is the number of elements a sweep handles at a time: the length of
// the gradient scratch (2 KiB, so it stays in L1) and of a summation leaf
// (kern.Leaf, whose tree the samples' bits follow).
const chunk = kern.Leaf
