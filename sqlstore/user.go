package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/xerochat/xerochat"
)

const userColumns = `id, name, email, mobile, address, user_type, status, deleted,
	add_date, last_login_at, last_login_ip, expired_date, package_id`

// scanUser reads userColumns, then any extra columns into extra.
func scanUser(row interface{ Scan(...any) error }, extra ...any) (*xerochat.User, error) {
	var u xerochat.User
	var deleted int
	var added, lastLogin int64
	err := row.Scan(append([]any{&u.ID, &u.Name, &u.Email, &u.Mobile, &u.Address, &u.Type, &u.Status, &deleted,
		&added, &lastLogin, &u.LastLoginIP, &u.ExpiredDate, &u.PackageID}, extra...)...)
	if err != nil {
		return nil, err
	}
	u.Deleted = deleted == 1
	u.AddDate, u.LastLoginAt = unix(added), unix(lastLogin)
	return &u, nil
}

// FindUserByAPIKey returns the owner of key; ENOTFOUND if no user has it.
// The index finds the row by digest; the digests are then compared in
// constant time so that no timing tells how much of a guess was right.
// Owners of recent keys come from the key cache while no user changed
// (see keyCache); a cache lookup finds only digests of valid keys, and a
// digest's timing tells nothing of the key.
func (db *DB) FindUserByAPIKey(ctx context.Context, key string) (*xerochat.User, error) {
	digest := xerochat.HashAPIKey(key)
	gen, err := db.authGeneration(ctx)
	if err != nil {
		return nil, err
	}
	if u := db.keys.get(gen, digest); u != nil {
		return u, nil
	}
	u, err := findUserByAPIKey(ctx, db, digest)
	if err == nil {
		db.keys.put(gen, digest, u)
	}
	return u, err
}

func findUserByAPIKey(ctx context.Context, db *DB, digest string) (*xerochat.User, error) {
	var stored string
	row := db.read().queryRow(ctx, `SELECT `+userColumns+`, api_key_hash FROM users WHERE api_key_hash = ?`, digest)
	u, err := scanUser(row, &stored)
	if err == nil && subtle.ConstantTimeCompare([]byte(stored), []byte(digest)) != 1 {
		err = sql.ErrNoRows
	}
	return u, notFound(err, xerochat.MsgKeyInvalid)
}

// FindUser returns the non-deleted user matching every set field of f.
func (db *DB) FindUser(ctx context.Context, f xerochat.UserFilter) (*xerochat.User, error) {
	return findUser(ctx, db.read(), f)
}

func findUser(ctx context.Context, c conn, f xerochat.UserFilter) (*xerochat.User, error) {
	where, args := []string{"deleted = 0"}, []any{}
	if f.ID != 0 {
		where, args = append(where, "id = ?"), append(args, f.ID)
	}
	if f.Email != "" {
		where, args = append(where, "email_key = ?"), append(args, xerochat.NormalizeEmail(f.Email))
	}
	if len(args) == 0 {
		return nil, &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgUserFilterRequired}
	}
	row := c.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+strings.Join(where, " AND "), args...)
	u, err := scanUser(row)
	return u, notFound(err, xerochat.MsgUserNotFound)
}

// CreateUser stores a new active user with a bcrypt-hashed password.
func (db *DB) CreateUser(ctx context.Context, nu xerochat.NewUser) (int64, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(nu.Password), bcrypt.DefaultCost)
	if err != nil {
		return 0, &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgUserPasswordTooLong}
	}
	if nu.Type == "" {
		nu.Type = xerochat.UserTypeMember
	}
	var id int64
	err = db.inTx(ctx, func(c conn) error {
		if err := checkPackage(ctx, c, nu.PackageID); err != nil {
			return err
		}
		id, err = c.insert(ctx, `INSERT INTO users (name, email, email_key, mobile, address, password_hash,
			user_type, status, add_date, expired_date, package_id) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
			nu.Name, nu.Email, xerochat.NormalizeEmail(nu.Email), nu.Mobile, nu.Address, string(hash),
			nu.Type, db.now(), nu.ExpiredDate, nu.PackageID)
		if uniqueViolation(err, "email_key") {
			return &xerochat.Error{Code: xerochat.ECONFLICT, Message: xerochat.MsgUserEmailTaken}
		}
		return err
	})
	return id, err
}

func checkPackage(ctx context.Context, c conn, id int64) error {
	var one int
	err := c.queryRow(ctx, `SELECT 1 FROM packages WHERE id = ? AND deleted = 0`, id).Scan(&one)
	return notFound(err, xerochat.MsgPackageNotFound)
}

// UpdateUser sets the given fields of a non-deleted user.
func (db *DB) UpdateUser(ctx context.Context, id int64, upd xerochat.UserUpdate) error {
	if err := upd.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(c conn) error {
		if upd.PackageID != nil {
			if err := checkPackage(ctx, c, *upd.PackageID); err != nil {
				return err
			}
		}
		set, args := []string{}, []any{}
		add := func(col string, v any) { set, args = append(set, col+" = ?"), append(args, v) }
		if upd.Name != nil {
			add("name", *upd.Name)
		}
		if upd.Mobile != nil {
			add("mobile", *upd.Mobile)
		}
		if upd.Address != nil {
			add("address", *upd.Address)
		}
		if upd.PackageID != nil {
			add("package_id", *upd.PackageID)
		}
		if upd.ExpiredDate != nil {
			add("expired_date", *upd.ExpiredDate)
		}
		if upd.Status != nil {
			add("status", *upd.Status)
		}
		if upd.Type != nil {
			add("user_type", *upd.Type)
		}
		if len(set) == 0 {
			return &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgUserNoUpdate}
		}
		res, err := c.exec(ctx, `UPDATE users SET `+strings.Join(set, ", ")+` WHERE id = ? AND deleted = 0`, append(args, id)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return xerochat.Errorf(xerochat.ENOTFOUND, xerochat.MsgUserIDNotFound, id)
		}
		return nil
	})
}

// RotateAPIKey replaces the user's key. Only the digest is stored, so the
// old key stops working for every server process at the next request.
func (db *DB) RotateAPIKey(ctx context.Context, userID int64) (string, error) {
	key := xerochat.NewAPIKey(userID)
	res, err := db.write().exec(ctx, `UPDATE users SET api_key_hash = ? WHERE id = ? AND deleted = 0`, xerochat.HashAPIKey(key), userID)
	if err != nil {
		return "", err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return "", &xerochat.Error{Code: xerochat.ENOTFOUND, Message: xerochat.MsgUserNotFound}
	}
	return key, nil
}

// RecordLogin notes the time and address of the user's latest sign-in. It
// leaves the key cache alone: what it changes is read only from the users
// table (get_user_info), never from a key's cached owner.
func (db *DB) RecordLogin(ctx context.Context, userID int64, ip string) error {
	_, err := db.write().exec(ctx, `UPDATE users SET last_login_at = ?, last_login_ip = ? WHERE id = ?`, db.now(), ip, userID)
	return err
}

// CountUsers returns how many users exist, deleted ones included.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.read().queryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// ListPackages returns the packages not deleted, by id.
func (db *DB) ListPackages(ctx context.Context) ([]*xerochat.Package, error) {
	rows, err := db.read().query(ctx, `SELECT id, name, module_ids, price, validity, deleted, visible, highlight
		FROM packages WHERE deleted = 0 ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*xerochat.Package
	for rows.Next() {
		var p xerochat.Package
		var deleted, visible, highlight int
		if err := rows.Scan(&p.ID, &p.Name, &p.ModuleIDs, &p.Price, &p.Validity, &deleted, &visible, &highlight); err != nil {
			return nil, err
		}
		p.Deleted, p.Visible, p.Highlight = deleted == 1, visible == 1, highlight == 1
		out = append(out, &p)
	}
	return out, rows.Err()
}
