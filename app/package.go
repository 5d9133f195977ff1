package app

import (
	"context"
	"strconv"
	"strings"

	"github.com/xerochat/xerochat"
)

// Packages are the admin's package use cases: the rules of a package's
// fields and the Trial package that stays.
type Packages struct {
	Store xerochat.AdminService
}

// ValidatePackage checks a package's fields: a name, a price that is a number,
// a validity of 0 or more days.
func ValidatePackage(p *xerochat.NewPackage) error {
	p.Name, p.Price = strings.TrimSpace(p.Name), strings.TrimSpace(p.Price)
	if p.Price == "" {
		p.Price = "0"
	}
	switch {
	case p.Name == "":
		return fieldErr("package_name", xerochat.MsgPackageNameRequired)
	case p.Validity < 0:
		return fieldErr("validity", xerochat.MsgPackageValidityBad)
	}
	if f, err := strconv.ParseFloat(p.Price, 64); err != nil || f < 0 {
		return fieldErr("price", xerochat.MsgPackagePriceBad)
	}
	return nil
}

// Create makes a package.
func (ps *Packages) Create(ctx context.Context, p xerochat.NewPackage) (int64, error) {
	if err := ValidatePackage(&p); err != nil {
		return 0, err
	}
	return ps.Store.CreatePackage(ctx, p)
}

// Update edits a package.
func (ps *Packages) Update(ctx context.Context, id int64, p xerochat.NewPackage) error {
	if err := ValidatePackage(&p); err != nil {
		return err
	}
	return ps.Store.UpdatePackage(ctx, id, p)
}

// Delete soft-deletes a package; the Trial package stays.
func (ps *Packages) Delete(ctx context.Context, id int64) error {
	if id == xerochat.TrialPackageID {
		return &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgTrialStays}
	}
	return ps.Store.DeletePackage(ctx, id)
}
