package engine_test

import (
	"context"
	"fmt"
	"image"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/engine"
)

// Example runs Adam on a 4096-dimensional Rosenbrock function on the GPU
// (Mesa's llvmpipe where there is none) through the shared driver loop.
func Example() {
	ctx, err := engine.Open(engine.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ctx.Close()

	job := gdgpu.NewJob()
	job.Dim, job.Steps = 4096, 200
	b, err := ctx.NewBackend(&job)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		fmt.Println(err)
		return
	}
	first := res.Samples[0]
	fmt.Printf("%s after %d steps; loss went down: %v\n", res.Status, res.Steps, res.Final.Loss < first.Loss)
	// Output: StepLimit after 200 steps; loss went down: true
}

// A window draws a picture with its Screen: on the thread where the
// window's EGL context is current (GLFW's, made with
// glfw.ContextCreationAPI = glfw.EGLContextAPI), AdoptCurrent takes the
// context over; the picture is uploaded, drawn pixel for pixel at the
// framebuffer's top left, and presented. Package viewer/window does this
// every frame.
func ExampleContext_NewScreen() {
	ec, err := engine.AdoptCurrent(engine.Options{})
	if err != nil {
		fmt.Println(err) // no window's context is current here
		return
	}
	defer ec.Close()
	screen := ec.NewScreen()
	defer screen.Close()
	pic := image.NewRGBA(image.Rect(0, 0, 640, 480))
	if err := screen.Upload(pic); err != nil {
		fmt.Println(err)
		return
	}
	// The framebuffer is 640 x 520: the viewport, from its bottom left,
	// puts the picture at the top.
	if err := screen.Draw(640, 520, image.Rect(0, 40, 640, 520)); err != nil {
		fmt.Println(err)
		return
	}
	if err := ec.SwapBuffers(); err != nil {
		fmt.Println(err)
	}
}

// ExampleDeviceClasses lists the device-class table: the workgroup size
// of the problem kernels and the fused step's vector width each family of
// devices gets (Info.Class names the one chosen; Options.DeviceClass,
// Options.LocalSize and Options.VectorWidth force them).
func ExampleDeviceClasses() {
	for _, c := range engine.DeviceClasses() {
		fmt.Printf("%-17s workgroups of %4d, vector loads of %2d bytes, measured %v\n", c.Name, c.LocalSize, c.VectorBytes, c.Measured)
	}
	// Output:
	// software          workgroups of  256, vector loads of  0 bytes, measured true
	// nvidia-datacenter workgroups of  256, vector loads of  0 bytes, measured false
	// nvidia            workgroups of  256, vector loads of  0 bytes, measured false
	// amd               workgroups of  256, vector loads of  0 bytes, measured false
	// intel             workgroups of  256, vector loads of  0 bytes, measured false
	// other             workgroups of  256, vector loads of  0 bytes, measured false
}

// ExampleOptions_vectorWidth forces the fused step's vector path (vec4
// loads and stores in float32) on any device: the results are the scalar
// path's, bit for bit.
func ExampleOptions_vectorWidth() {
	ctx, err := engine.Open(engine.Options{VectorWidth: 4, Software: engine.SoftwareAllow})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ctx.Close()
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps = "rosenbrock", 1003, 50
	job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
	b, err := ctx.NewBackend(&job)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status, res.Steps)
	// Output: StepLimit 50
}
