// The "objective" of a gradient held in the Grad buffer: no loss, and the
// gradient component read from memory. It lets the optimizer kernels run on
// a gradient from elsewhere (tests feeding both backends the same one, and
// the second pass of clipping by norm).
void objective(uint i, out real f, out real g) {
	f = real(0);
	g = grad[i - base];
}
