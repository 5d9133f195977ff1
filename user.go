package xerochat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// User types as the API shows them.
const (
	UserTypeAdmin  = "Admin"
	UserTypeMember = "Member"
)

// DateLayout is the layout of expired_date as clients send it.
const DateLayout = "2006-01-02"

// User is an account: an Admin who runs the installation or a Member who buys
// a package. Times are zero when never set.
type User struct {
	ID          int64
	Name        string
	Email       string
	Mobile      string
	Address     string
	Type        string // UserTypeAdmin or UserTypeMember
	Status      int    // 1 active, 0 inactive
	Deleted     bool
	AddDate     time.Time
	LastLoginAt time.Time
	LastLoginIP string
	// ExpiredDate is the last day of a member's validity as YYYY-MM-DD,
	// optionally followed by " HH:MM:SS" as the original accepted it (kept
	// as given), or "" when none was set. It is a calendar date of the
	// server's time zone; the member is valid through the whole of that day.
	ExpiredDate string
	PackageID   int64
}

// IsAdmin reports whether the user is an Admin.
func (u *User) IsAdmin() bool { return u.Type == UserTypeAdmin }

// CanUseAPI reports whether the user may call the API at the given moment:
// active, not deleted, and for members not past the expiry date. A member is
// valid through the whole of the expiry day in the server's time zone.
func (u *User) CanUseAPI(now time.Time) bool {
	if u.Status != 1 || u.Deleted {
		return false
	}
	if u.IsAdmin() || u.ExpiredDate == "" {
		return true
	}
	return now.Format(DateLayout) <= u.ExpiryDay()
}

// ExpiryDay is the day part of ExpiredDate (YYYY-MM-DD), "" when none.
func (u *User) ExpiryDay() string {
	day, _, _ := strings.Cut(u.ExpiredDate, " ")
	return day
}

// UserFilter selects users by id and/or e-mail; zero values are ignored.
type UserFilter struct {
	ID    int64
	Email string
}

// UserUpdate holds the fields an update sets; nil means "leave as is".
type UserUpdate struct {
	Name        *string
	Mobile      *string
	Address     *string
	PackageID   *int64
	ExpiredDate *string
	Status      *int
	// Type changes the account's type (UserTypeAdmin or UserTypeMember);
	// the web app's admin sets it, the API has no parameter for it.
	Type *string
}

// Validate checks the fields an update sets, the same for every door: an
// expiry the original accepted (or "", none), a status of 0 or 1, a type
// of Admin or Member.
func (u UserUpdate) Validate() error {
	switch {
	case u.ExpiredDate != nil && *u.ExpiredDate != "" && !ValidExpiry(*u.ExpiredDate):
		return &Error{Code: EINVALID, Message: MsgUserExpiryBad}
	case u.Status != nil && *u.Status != 0 && *u.Status != 1:
		return &Error{Code: EINVALID, Message: MsgUserStatusBad}
	case u.Type != nil && *u.Type != UserTypeAdmin && *u.Type != UserTypeMember:
		return &Error{Code: EINVALID, Message: MsgUserTypeBad}
	}
	return nil
}

// NewUser is what creating an account needs.
type NewUser struct {
	Name        string
	Email       string
	Password    string
	Mobile      string
	Address     string
	Type        string
	PackageID   int64
	ExpiredDate string
}

// MaxPasswordBytes is the longest password: bcrypt reads no further.
const MaxPasswordBytes = 72

// Validate checks a new account: a plain e-mail address, a password bcrypt
// can hash whole, an expiry date that is a real date when set.
func (u NewUser) Validate() error {
	switch {
	case !ValidEmail(u.Email):
		return &Error{Code: EINVALID, Message: MsgUserEmailBad}
	case len(u.Password) > MaxPasswordBytes:
		return &Error{Code: EINVALID, Message: MsgUserPasswordTooLong}
	case u.ExpiredDate != "" && !ValidExpiry(u.ExpiredDate):
		return &Error{Code: EINVALID, Message: MsgUserExpiryBad}
	}
	return nil
}

// Package is a product the admin sells; it decides what a member may use.
type Package struct {
	ID        int64
	Name      string
	ModuleIDs string
	Price     string
	Validity  int64
	Deleted   bool
	Visible   bool
	Highlight bool
}

// UserService manages accounts, packages and API keys.
type UserService interface {
	// FindUserByAPIKey returns the owner of the key, ENOTFOUND if none.
	FindUserByAPIKey(ctx context.Context, key string) (*User, error)
	// FindUser returns the non-deleted user matching every set field.
	FindUser(ctx context.Context, f UserFilter) (*User, error)
	// CreateUser stores a new active user and returns its id. The package must
	// exist (ENOTFOUND) and the e-mail be unused, ignoring case (ECONFLICT).
	CreateUser(ctx context.Context, u NewUser) (int64, error)
	// UpdateUser changes the given fields of a non-deleted user.
	UpdateUser(ctx context.Context, id int64, upd UserUpdate) error
	// RotateAPIKey makes a new key for the user, ending the old one, and
	// returns the key in clear text: the only time it is ever shown.
	RotateAPIKey(ctx context.Context, userID int64) (string, error)
	// RecordLogin notes that the user signed in to the web app from ip.
	RecordLogin(ctx context.Context, userID int64, ip string) error
	// ListPackages returns the packages not deleted, by id.
	ListPackages(ctx context.Context) ([]*Package, error)
	// CountUsers returns how many users exist, deleted ones included.
	CountUsers(ctx context.Context) (int, error)
}

// NewAPIKey returns a fresh random key: 32 hex digits of a 128-bit value
// prefixed with the user id, the shape XeroChat keys have.
func NewAPIKey(userID int64) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return strconv.FormatInt(userID, 10) + "-" + hex.EncodeToString(b[:])
}

// HashAPIKey is the digest under which a key is stored. A fast hash suits
// keys: they carry 128 random bits, so no work factor is needed, and checking
// one must cost microseconds.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// NormalizeEmail gives the form under which e-mail uniqueness is judged.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidEmail reports whether s is a plain e-mail address (no display name,
// a dotted domain, no white space).
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".") && !strings.HasPrefix(domain, ".")
}

// ExpiryLayout is the layout of an expired_date given with a time.
const ExpiryLayout = "2006-01-02 15:04:05"

// ValidExpiry reports whether s is an expired_date the original accepted:
// a date as YYYY-MM-DD, optionally followed by " HH:MM:SS".
func ValidExpiry(s string) bool {
	if ValidDate(s) {
		return true
	}
	_, err := time.Parse(ExpiryLayout, s)
	return err == nil
}

// ValidDate reports whether s is a real calendar date as YYYY-MM-DD.
func ValidDate(s string) bool {
	_, err := time.Parse(DateLayout, s)
	return err == nil
}
