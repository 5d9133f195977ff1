package xerochattest

import "testing"

// Attach wraps a server that the test runs some other way — cmd/xerochat's
// own Main, started in the test process to test its life — so that the
// kit's fixtures and calls drive it like a server of NewServer. s names the
// server's URL and the test's handles on its database, use cases and fake
// Facebook, with AdminKey and Logs as far as they are known. The caller owns
// the server's life: Stop does nothing.
func Attach(tb testing.TB, s Server) *Server {
	s.tb = tb
	s.stop = func() {}
	if s.Logs == nil {
		s.Logs = &Logs{}
	}
	return &s
}
