//go:build !linux

package sqlstoretest

import "time"

// timer sleeps with Go's timers (see timer_linux.go for why Linux differs).
type timer struct{}

func newTimer() *timer                  { return &timer{} }
func (*timer) sleepUntil(due time.Time) { time.Sleep(time.Until(due)) }
func (*timer) close()                   {}
