package sqlstore

import (
	"context"

	"github.com/xerochat/xerochat"
)

var _ xerochat.AdminService = (*DB)(nil)

// ListUsers pages through the users by id (keyset), leaving out deleted ones.
func (db *DB) ListUsers(ctx context.Context, q xerochat.UserQuery) ([]*xerochat.User, bool, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	where, args := `deleted = 0 AND id > ?`, []any{q.After}
	if q.Search != "" {
		p := likePattern(q.Search)
		where += ` AND (LOWER(name) LIKE ? ESCAPE '\' OR email_key LIKE ? ESCAPE '\')`
		args = append(args, p, p)
	}
	rows, err := db.read().query(ctx, `SELECT `+userColumns+` FROM users WHERE `+where+` ORDER BY id LIMIT ?`,
		append(args, q.Limit+1)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []*xerochat.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, u)
	}
	if len(out) > q.Limit {
		return out[:q.Limit], true, rows.Err()
	}
	return out, false, rows.Err()
}

// CreatePackage stores a new package.
func (db *DB) CreatePackage(ctx context.Context, p xerochat.NewPackage) (int64, error) {
	return db.write().insert(ctx, `INSERT INTO packages (name, price, validity, visible, highlight) VALUES (?, ?, ?, ?, ?)`,
		p.Name, p.Price, p.Validity, flag(p.Visible), flag(p.Highlight))
}

// UpdatePackage changes a live package.
func (db *DB) UpdatePackage(ctx context.Context, id int64, p xerochat.NewPackage) error {
	res, err := db.write().exec(ctx, `UPDATE packages SET name = ?, price = ?, validity = ?, visible = ?, highlight = ?
		WHERE id = ? AND deleted = 0`, p.Name, p.Price, p.Validity, flag(p.Visible), flag(p.Highlight), id)
	return affectedOne(res, err, xerochat.MsgPackageNotFound)
}

// DeletePackage soft-deletes a live package.
func (db *DB) DeletePackage(ctx context.Context, id int64) error {
	res, err := db.write().exec(ctx, `UPDATE packages SET deleted = 1 WHERE id = ? AND deleted = 0`, id)
	return affectedOne(res, err, xerochat.MsgPackageNotFound)
}

// FindPackage returns a live package.
func (db *DB) FindPackage(ctx context.Context, id int64) (*xerochat.Package, error) {
	var p xerochat.Package
	var deleted, visible, highlight int
	err := db.read().queryRow(ctx, `SELECT id, name, module_ids, price, validity, deleted, visible, highlight
		FROM packages WHERE id = ? AND deleted = 0`, id).
		Scan(&p.ID, &p.Name, &p.ModuleIDs, &p.Price, &p.Validity, &deleted, &visible, &highlight)
	if err != nil {
		return nil, notFound(err, xerochat.MsgPackageNotFound)
	}
	p.Deleted, p.Visible, p.Highlight = deleted == 1, visible == 1, highlight == 1
	return &p, nil
}
