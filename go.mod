module github.com/gdgpu/gdgpu

go 1.24
