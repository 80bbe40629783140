//go:build !window

package window

import (
	"context"
	"errors"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// TestNotBuilt: without -tags window, Run opens nothing and says so.
func TestNotBuilt(t *testing.T) {
	races, err := Run(context.Background(), []Racer{{Job: gdgpu.NewJob()}}, Options{})
	if !errors.Is(err, ErrNotBuilt) || races != nil {
		t.Errorf("Run: %v, %v; want ErrNotBuilt", races, err)
	}
}
