package engine

import "runtime"

// thread runs closures on one OS-locked goroutine: a GL context is current
// on one OS thread, so every GL call must run there.
type thread struct {
	work chan func()
	done chan struct{}
}

func newThread() *thread {
	t := &thread{work: make(chan func()), done: make(chan struct{})}
	go func() {
		runtime.LockOSThread()
		defer close(t.done)
		// The thread stays locked to the goroutine until it exits, so it dies
		// with the goroutine and GL state never leaks to other goroutines.
		for f := range t.work {
			f()
		}
	}()
	return t
}

// call runs f on the thread and waits for it.
func (t *thread) call(f func()) {
	done := make(chan struct{})
	t.work <- func() {
		defer close(done)
		f()
	}
	<-done
}

// stop ends the thread after the closures already queued.
func (t *thread) stop() {
	close(t.work)
	<-t.done
}

// callErr runs f on the thread and returns its error.
func (t *thread) callErr(f func() error) error {
	var err error
	t.call(func() { err = f() })
	return err
}
