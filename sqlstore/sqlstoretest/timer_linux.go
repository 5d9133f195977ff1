package sqlstoretest

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// timer waits on a kernel timer (timerfd) through Go's netpoller. Go's own
// timers wake about a millisecond late on Linux when the process idles
// (epoll's timeout is whole milliseconds), more than the delays Remote
// adds; a timerfd wakes within microseconds, and the goroutine waiting on
// it holds no thread.
type timer struct {
	fd   int
	file *os.File // pollable, as fd is non-blocking; its Fd() is never called, which would make it blocking
}

func newTimer() *timer {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return &timer{fd: -1}
	}
	return &timer{fd: fd, file: os.NewFile(uintptr(fd), "timerfd")}
}

// sleepUntil returns at t.
func (t *timer) sleepUntil(due time.Time) {
	d := time.Until(due)
	if d <= 0 {
		return
	}
	if t.file == nil {
		time.Sleep(d)
		return
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(t.fd, 0, &spec, nil); err != nil {
		time.Sleep(d)
		return
	}
	var expirations [8]byte
	_, _ = t.file.Read(expirations[:])
}

func (t *timer) close() {
	if t.file != nil {
		t.file.Close()
	}
}
