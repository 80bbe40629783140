// The landscape kernel's main: one invocation per pixel (grid-stride), the
// objective summed over its two terms at the pixel's grid point. Pixel
// (px, py) of a w x h grid, row 0 first, maps to
//   x = x0 + px (x1 - x0) / (w - 1),  y = y0 + py (y1 - y0) / (h - 1)
// (x0, dx, y0, dy come from the host in the job's precision; the products
// and sums are computed here in that precision).

layout(std430, binding = BIND_XOUT) writeonly buffer Land { real land[]; };

uniform uint w;
uniform uint h;
uniform real x0;
uniform real dx; // (x1 - x0) / (w - 1)
uniform real y0;
uniform real dy; // (y1 - y0) / (h - 1)

void main() {
	uint total = w * h;
	uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
	for (uint p = gl_GlobalInvocationID.x; p < total; p += stride) {
		uint px = p % w;
		uint py = p / w;
		gridX = x0 + real(px) * dx;
		gridY = y0 + real(py) * dy;
		real f0, f1, g;
		objective(0u, f0, g);
		objective(1u, f1, g);
		land[p] = f0 + f1;
	}
}
