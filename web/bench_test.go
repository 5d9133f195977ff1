package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/xerochattest"
)

// seedRows inserts n rows with one multi-row INSERT per 500, in one
// transaction: 100,000 subscribers through the webhook would take minutes,
// and the benchmark measures reading them, not their arrival.
func seedRows(b *testing.B, ws *xerochattest.WebServer, n int, head string, row func(i int) string) {
	b.Helper()
	ctx := context.Background()
	tx, err := ws.DB.SQL().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	for start := 0; start < n; start += 500 {
		var vals []string
		for i := start; i < min(n, start+500); i++ {
			vals = append(vals, row(i))
		}
		if _, err := tx.ExecContext(ctx, head+strings.Join(vals, ", ")); err != nil {
			tx.Rollback()
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPages renders the list pages of a member with 100,000
// subscribers and 100,000 contacts: first pages, deep pages (keyset),
// searches and the label filter. Figures are in docs/web.md.
func BenchmarkPages(b *testing.B) {
	ws := xerochattest.NewWebServer(b)
	m := ws.NewMember("ann@example.com", "100")
	ctx := context.Background()
	label, err := ws.App.CreateLabel(ctx, m.ID, "100", "VIP")
	if err != nil {
		b.Fatal(err)
	}
	gid, err := ws.DB.CreateContactGroup(ctx, m.ID, "Big")
	if err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	seedRows(b, ws, n, `INSERT INTO subscribers (user_id, page_ref, psid, first_name, last_name, full_name, subscribed_at) VALUES `,
		func(i int) string {
			return fmt.Sprintf("(%d, %d, 'psid-%06d', 'First%d', 'Last%d', 'First%d Last%d', %d)", m.ID, m.Page.ID, i, i, i, i, i, 1700000000+i*20)
		})
	seedRows(b, ws, n/10, `INSERT INTO subscriber_labels (subscriber_id, label_ref) VALUES `,
		func(i int) string { return fmt.Sprintf("(%d, %d)", i*10+1, label.ID) })
	seedRows(b, ws, n, `INSERT INTO contacts (user_id, contact_type_id, first_name, last_name, email, email_key) VALUES `,
		func(i int) string {
			return fmt.Sprintf("(%d, %d, 'First%d', 'Last%d', 'c%06d@example.com', 'c%06d@example.com')", m.ID, gid, i, i, i, i)
		})
	// Fresh statistics, as autovacuum (PostgreSQL) or a long-lived file
	// (SQLite) would have them.
	if _, err := ws.DB.SQL().ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	for _, bc := range []struct{ name, path string }{
		{"overview", "/app"},
		{"subscribers/first", "/app/subscribers?page=100"},
		{"subscribers/deep", "/app/subscribers?page=100&after=90000"},
		{"subscribers/search", "/app/subscribers?page=100&q=first99999"},
		{"subscribers/psid", "/app/subscribers?page=100&q=psid-054321"},
		{"subscribers/label", fmt.Sprintf("/app/subscribers?page=100&label=%s&after=50000", label.LabelID)},
		{"contacts/first", fmt.Sprintf("/app/contacts/groups/%d", gid)},
		{"contacts/deep", fmt.Sprintf("/app/contacts/groups/%d?after=95000", gid)},
		{"contacts/search", fmt.Sprintf("/app/contacts/groups/%d?q=c09999", gid)},
		{"contact-groups", "/app/contacts"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if res := c.Get(bc.path); res.Status != http.StatusOK {
					b.Fatalf("%s: %d", bc.path, res.Status)
				}
			}
		})
	}
}
