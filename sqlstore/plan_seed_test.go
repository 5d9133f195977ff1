package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/sqlstore"
)

// planSeedRows is how many rows the plan test puts in each growing table:
// enough that PostgreSQL's planner prefers an index to reading the table,
// and few enough to seed in a second or two.
const planSeedRows = 20_000

// seedForPlans fills every table that grows with use with n rows, mostly
// in states the hot queries do not look for (sent messages, processed
// batches, fetched profiles, finished CSV imports, live sessions), as a
// long-running server's tables are, and then gathers the planner's
// statistics.
func seedForPlans(t *testing.T, db *sqlstore.DB, n int) {
	t.Helper()
	series := func(m int) string {
		if db.Dialect() == sqlstore.Postgres {
			return fmt.Sprintf("generate_series(1, %d) AS n(i)", m)
		}
		return fmt.Sprintf("(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) SELECT i FROM s) AS n", m)
	}
	mod := func(m int) string { return fmt.Sprintf("(1 + i %% %d)", m) }
	// Finished Messenger rows are younger than the retention's cutoff, and
	// sessions and sign-in failures younger than their sweeps' cutoffs, as
	// on a server that prunes: what is older is gone already.
	const young = "9999999999"
	stmts := []string{
		`INSERT INTO users (name, email, email_key, password_hash, user_type, add_date, package_id, api_key_hash)
			SELECT 'u', 'u' || i || '@seed', 'u' || i || '@seed', 'x', 'Member', 0, 1, 'h' || i FROM ` + series(n),
		`INSERT INTO pages (user_id, page_id, created_at) SELECT i, 'p' || i, 0 FROM ` + series(n),
		`INSERT INTO subscribers (user_id, page_ref, psid, profile_fetched) SELECT ` + mod(n) + `, ` + mod(n) + `, 's' || i, 1 FROM ` + series(2*n),
		`INSERT INTO labels (user_id, page_ref, label_id, name, created_at) SELECT i, i, 'l' || i, 'n' || i, 0 FROM ` + series(n),
		`INSERT INTO subscriber_labels (subscriber_id, label_ref) SELECT i, ` + mod(n) + ` FROM ` + series(2*n),
		`INSERT INTO contact_groups (user_id, name, created_at) SELECT i, 'g', 0 FROM ` + series(n),
		`INSERT INTO contacts (user_id, contact_type_id, email, email_key, phone_number)
			SELECT ` + mod(n) + `, ` + mod(n) + `, 'c' || i || '@seed', 'c' || i || '@seed', '+1' || i FROM ` + series(2*n),
		`INSERT INTO contacts (user_id, contact_type_id) SELECT ` + mod(n) + `, ` + mod(n) + ` FROM ` + series(n),
		`INSERT INTO flow_campaigns (user_id, page_ref, name, created_at) SELECT i, i, 'f', 0 FROM ` + series(n),
		`INSERT INTO flow_questions (campaign_id, position, question) SELECT i, 1, 'q' FROM ` + series(n),
		`INSERT INTO flow_answers (campaign_id, question_id, subscriber_id, answer, answered_at)
			SELECT ` + mod(n) + `, ` + mod(n) + `, i, 'a', 0 FROM ` + series(2*n),
		`INSERT INTO flow_sessions (subscriber_id, campaign_id, position, updated_at) SELECT i, i, 1, 0 FROM ` + series(n),
		`INSERT INTO outbox (page_ref, subscriber_id, message, state, run_at, created_at)
			SELECT ` + mod(n) + `, i, '{}', 'sent', 0, ` + young + ` FROM ` + series(2*n),
		// a backlog: many pending messages, several to each person
		`INSERT INTO outbox (page_ref, subscriber_id, message, state, run_at, created_at)
			SELECT ` + mod(n) + `, ` + mod(n/10) + `, '{}', 'pending', 0, ` + young + ` FROM ` + series(n),
		`INSERT INTO webhook_batches (body, received_at, done_at) SELECT '{}', 0, ` + young + ` FROM ` + series(n),
		// a backlog: batches waiting in many lanes, several in each
		`INSERT INTO webhook_batches (lane, body, received_at) SELECT 'p' || ` + mod(50) + `, '{}', 0 FROM ` + series(n/10),
		`INSERT INTO processed_events (event_key, processed_at) SELECT 'e' || i, ` + young + ` FROM ` + series(2*n),
		`INSERT INTO web_sessions (token_hash, user_id, credential_gen, created_at, last_seen_at)
			SELECT 't' || i, ` + mod(n) + `, 0, ` + young + `, ` + young + ` FROM ` + series(n),
		`INSERT INTO login_failures (failure_key, at) SELECT 'k' || ` + mod(n/4) + `, ` + young + ` FROM ` + series(n),
		`INSERT INTO csv_jobs (user_id, group_id, content, state, total, done, created_at, finished_at)
			SELECT ` + mod(n) + `, ` + mod(n) + `, '', 'done', 10, 10, 0, 0 FROM ` + series(n),
		`INSERT INTO csv_job_rejects (job_id, line, reason, raw) SELECT ` + mod(n) + `, i, 'r', 'x' FROM ` + series(2*n),
		`ANALYZE`,
	}
	for _, q := range stmts {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatalf("seed: %v\n%s", err, strings.TrimSpace(q))
		}
	}
}
