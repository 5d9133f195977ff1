package sqlstore

import (
	"context"
	"strings"

	"github.com/xerochat/xerochat"
)

var _ xerochat.ContactListService = (*DB)(nil)

// ListContactGroups returns the user's live groups with their live contacts.
func (db *DB) ListContactGroups(ctx context.Context, userID int64) ([]*xerochat.ContactGroup, []int64, error) {
	rows, err := db.read().query(ctx, `SELECT g.id, g.user_id, g.name, g.created_at,
		(SELECT COUNT(*) FROM contacts c WHERE c.user_id = g.user_id AND c.contact_type_id = g.id AND c.deleted = 0)
		FROM contact_groups g WHERE g.user_id = ? AND g.deleted = 0 ORDER BY g.id`, userID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var groups []*xerochat.ContactGroup
	var counts []int64
	for rows.Next() {
		var g xerochat.ContactGroup
		var created, n int64
		if err := rows.Scan(&g.ID, &g.UserID, &g.Name, &created, &n); err != nil {
			return nil, nil, err
		}
		g.CreatedAt = unix(created)
		groups, counts = append(groups, &g), append(counts, n)
	}
	return groups, counts, rows.Err()
}

// likePattern makes a case-insensitive substring pattern, escaping LIKE's
// wildcards so that a search for "50%" finds "50%".
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// ListContacts pages through a group by id (keyset: no OFFSET scan).
func (db *DB) ListContacts(ctx context.Context, userID int64, q xerochat.ContactQuery) ([]*xerochat.Contact, bool, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	where := `user_id = ? AND contact_type_id = ? AND deleted = 0 AND id > ?`
	args := []any{userID, q.GroupID, q.After}
	if q.Search != "" {
		where += ` AND (LOWER(email) LIKE ? ESCAPE '\' OR LOWER(first_name) LIKE ? ESCAPE '\'
			OR LOWER(last_name) LIKE ? ESCAPE '\' OR phone_number LIKE ? ESCAPE '\')`
		p := likePattern(q.Search)
		args = append(args, p, p, p, p)
	}
	rows, err := db.read().query(ctx, `SELECT `+contactColumns+` FROM contacts WHERE `+where+` ORDER BY id LIMIT ?`,
		append(args, q.Limit+1)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []*xerochat.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, c)
	}
	if len(out) > q.Limit {
		return out[:q.Limit], true, rows.Err()
	}
	return out, false, rows.Err()
}

func scanContact(row interface{ Scan(...any) error }) (*xerochat.Contact, error) {
	var ct xerochat.Contact
	var unsub, deleted int
	if err := row.Scan(&ct.ID, &ct.UserID, &ct.ContactTypeID, &ct.FirstName, &ct.LastName, &ct.PhoneNumber, &ct.Email,
		&ct.Notes, &unsub, &deleted); err != nil {
		return nil, err
	}
	ct.Unsubscribed, ct.Deleted = unsub == 1, deleted == 1
	return &ct, nil
}

// EachContact streams the group's live contacts by id, in pages, so that
// no read holds the database for the length of a download.
func (db *DB) EachContact(ctx context.Context, userID, groupID int64, fn func(*xerochat.Contact) error) error {
	q := xerochat.ContactQuery{GroupID: groupID, Limit: 1000}
	for {
		page, more, err := db.ListContacts(ctx, userID, q)
		if err != nil {
			return err
		}
		for _, c := range page {
			if err := fn(c); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		q.After = page[len(page)-1].ID
	}
}
