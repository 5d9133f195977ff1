package xerochat

import "context"

// UserQuery selects a page of users for the admin's list: those after the
// id After (keyset pagination), matching Search (name or e-mail) when set.
// Deleted users are left out.
type UserQuery struct {
	Search string
	After  int64
	Limit  int
}

// NewPackage is what a package is made or edited from.
type NewPackage struct {
	Name      string
	Price     string
	Validity  int64
	Visible   bool
	Highlight bool
}

// TrialPackageID is the package every installation starts with; it can be
// edited but never deleted, since new members are put in it.
const TrialPackageID = 1

// AdminService answers the admin's screens: users and packages.
type AdminService interface {
	ListUsers(ctx context.Context, q UserQuery) ([]*User, bool, error)
	CreatePackage(ctx context.Context, p NewPackage) (int64, error)
	// UpdatePackage changes a package that is not deleted; ENOTFOUND
	// (MsgPackageNotFound) otherwise.
	UpdatePackage(ctx context.Context, id int64, p NewPackage) error
	// DeletePackage marks the package deleted; members keep it, but it is no
	// longer offered nor accepted for new members.
	DeletePackage(ctx context.Context, id int64) error
	// FindPackage returns a package that is not deleted.
	FindPackage(ctx context.Context, id int64) (*Package, error)
}
