// The landscape kernel's stand-in for common.glsl: it comes before the
// objective file and gives it the declarations it reads. X(i) returns the
// coordinate i of the current grid point (the pixel's), not a buffer
// element; the job has two parameters (n = 2), and the whole vector is one
// chunk starting at 0 (base = 0, so quadratic's coef[i - base] is coef[i]).

layout(local_size_x = LOCAL_SIZE) in;

uniform uint n;    // 2
uniform uint base; // 0

real gridX = real(0); // the current grid point, set by main before objective()
real gridY = real(0);

real X(uint i) { return i == 0u ? gridX : gridY; }
