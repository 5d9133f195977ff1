// Package app holds xerochat's use cases: the operations that span the
// store and Facebook or carry business rules beyond one record (labels,
// page connection, the first admin, API keys, contacts). The /api layer,
// the CLI and the web app are thin adapters over it, so that every door
// obeys exactly the same rules.
//
// It imports only the root package: the store and Facebook arrive as the
// domain's interfaces.
package app

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/xerochat/xerochat"
)

// App is the use-case layer over the services it is given.
type App struct {
	Users    xerochat.UserService
	Contacts xerochat.ContactService
	Pages    xerochat.PageService
	Flows    xerochat.FlowService
	Facebook xerochat.Facebook
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (a *App) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

// NewPassword returns a random password of 20 letters and digits, for
// accounts whose password the person did not choose.
func NewPassword() string {
	return strings.ReplaceAll(rand.Text(), "-", "")[:20]
}
