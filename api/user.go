package api

import (
	"strconv"

	"github.com/xerochat/xerochat"
)

func invalid(msg string) error { return &xerochat.Error{Code: xerochat.EINVALID, Message: msg} }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func flagText(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

type userInfo struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Mobile      string `json:"mobile"`
	Address     string `json:"address"`
	UserType    string `json:"user_type"`
	Status      string `json:"status"`
	AddDate     string `json:"add_date"`
	LastLoginAt string `json:"last_login_at"`
	ExpiredDate string `json:"expired_date"`
	PackageID   string `json:"package_id"`
	LastLoginIP string `json:"last_login_ip"`
}

func (s *Server) getUserInfo(c *call) (any, error) {
	if err := c.auth(true); err != nil {
		return nil, err
	}
	if !c.hasID("user_id") && !c.has("email") {
		return nil, invalid(xerochat.MsgUserFilterRequired)
	}
	f := xerochat.UserFilter{Email: c.param("email")}
	if c.hasID("user_id") {
		id, valid := parseID(c.param("user_id"))
		if !valid {
			return nil, notFound(xerochat.MsgUserNotFound)
		}
		f.ID = id
	}
	u, err := s.App.Users.FindUser(c.ctx, f)
	if err != nil {
		return nil, err
	}
	expired := "0000-00-00 00:00:00"
	switch {
	case u.ExpiredDate == u.ExpiryDay() && u.ExpiredDate != "":
		expired = u.ExpiredDate + " 00:00:00"
	case u.ExpiredDate != "":
		expired = u.ExpiredDate // given with its time
	}
	return struct {
		Status   string   `json:"status"`
		UserInfo userInfo `json:"user_info"`
	}{"success", userInfo{
		ID: itoa(u.ID), Name: u.Name, Email: u.Email, Mobile: u.Mobile, Address: u.Address,
		UserType: u.Type, Status: strconv.Itoa(u.Status), AddDate: c.datetime(u.AddDate),
		LastLoginAt: c.datetime(u.LastLoginAt), ExpiredDate: expired, PackageID: itoa(u.PackageID),
		LastLoginIP: u.LastLoginIP,
	}}, nil
}

func (s *Server) createSystemUser(c *call) (any, error) {
	if c.pathID != "" {
		// The documentation names /create_system_user/{id} as the update URL.
		return s.updateUser(c)
	}
	if err := c.auth(true); err != nil {
		return nil, err
	}
	for _, name := range []string{"name", "email", "password", "package_id", "expired_date"} {
		if !c.has(name) || name == "package_id" && !c.hasID(name) {
			return nil, invalid(xerochat.MsgUserFieldsMissing)
		}
	}
	if !xerochat.ValidEmail(c.param("email")) {
		return nil, invalid(xerochat.MsgUserEmailBad)
	}
	if !xerochat.ValidExpiry(c.param("expired_date")) {
		return nil, invalid(xerochat.MsgUserExpiryBad)
	}
	pkg, valid := parseID(c.param("package_id"))
	if !valid {
		return nil, notFound(xerochat.MsgPackageNotFound)
	}
	id, err := s.App.Users.CreateUser(c.ctx, xerochat.NewUser{
		Name: c.param("name"), Email: c.param("email"), Password: c.param("password"),
		Mobile: c.param("mobile"), Address: c.param("address"), Type: xerochat.UserTypeMember,
		PackageID: pkg, ExpiredDate: c.param("expired_date"),
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Status string `json:"status"`
		ID     int64  `json:"id"`
	}{"success", id}, nil
}

func (s *Server) updateUser(c *call) (any, error) {
	if c.pathID == "" {
		return nil, invalid(xerochat.MsgUserIDInPath)
	}
	if err := c.auth(true); err != nil {
		return nil, err
	}
	var upd xerochat.UserUpdate
	upd.Name, upd.Mobile, upd.Address, upd.ExpiredDate = c.optional("name"), c.optional("mobile"), c.optional("address"), c.optional("expired_date")
	if upd.Name == nil && upd.Mobile == nil && upd.Address == nil && upd.ExpiredDate == nil &&
		!c.hasID("package_id") && !c.has("status") {
		return nil, invalid(xerochat.MsgUserNoUpdate)
	}
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	if c.has("status") {
		status, err := strconv.Atoi(c.param("status"))
		if err != nil || (status != 0 && status != 1) || len(c.param("status")) != 1 {
			return nil, invalid(xerochat.MsgUserStatusBad)
		}
		upd.Status = &status
	}
	if c.hasID("package_id") {
		pkg, valid := parseID(c.param("package_id"))
		if !valid {
			return nil, notFound(xerochat.MsgPackageNotFound)
		}
		upd.PackageID = &pkg
	}
	id, valid := parseID(c.pathID)
	if !valid {
		return nil, xerochat.Errorf(xerochat.ENOTFOUND, xerochat.MsgUserIDNotFound, clip(c.pathID, 40))
	}
	if err := s.App.Users.UpdateUser(c.ctx, id, upd); err != nil {
		return nil, err
	}
	return ok, nil
}

// clip shortens client text echoed in a message.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

type packageRow struct {
	ID          string `json:"id"`
	PackageName string `json:"package_name"`
	ModuleIDs   string `json:"module_ids"`
	Price       string `json:"price"`
	Validity    string `json:"validity"`
	Deleted     string `json:"deleted"`
	Visible     string `json:"visible"`
	Highlight   string `json:"highlight"`
}

func (s *Server) getAllPackages(c *call) (any, error) {
	if err := c.auth(true); err != nil {
		return nil, err
	}
	pkgs, err := s.App.Users.ListPackages(c.ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]packageRow, 0, len(pkgs))
	for _, p := range pkgs {
		rows = append(rows, packageRow{
			ID: itoa(p.ID), PackageName: p.Name, ModuleIDs: p.ModuleIDs, Price: p.Price,
			Validity: itoa(p.Validity), Deleted: flagText(p.Deleted), Visible: flagText(p.Visible), Highlight: flagText(p.Highlight),
		})
	}
	return struct {
		Status   string       `json:"status"`
		Packages []packageRow `json:"packages"`
	}{"success", rows}, nil
}
