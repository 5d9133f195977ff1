package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/xerochat/xerochat"
)

// Ready reports whether the database answers and holds exactly the
// migrations this binary embeds: a process beside an older or newer schema
// must not take traffic.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return err
	}
	have, want, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if have != want {
		return fmt.Errorf("database at migration %d, this xerochat needs %d: run xerochat migrate", have, want)
	}
	return nil
}

// Pools are the connection pools, for metrics: the readers' and the
// writers' (one and the same on PostgreSQL).
func (db *DB) Pools() (read, write *sql.DB) { return db.sql, db.wsql }

// Lag is the age of the oldest webhook batch not yet processed, 0 when
// none waits.
func (db *DB) Lag(ctx context.Context) (time.Duration, error) {
	var oldest sql.NullInt64
	if err := db.read().queryRow(ctx, `SELECT MIN(received_at) FROM webhook_batches WHERE done_at = 0`).Scan(&oldest); err != nil {
		return 0, err
	}
	if !oldest.Valid {
		return 0, nil
	}
	return max(0, time.Duration(db.now()-oldest.Int64)*time.Second), nil
}

// CSVJobCounts counts the CSV imports waiting and running, for metrics.
func (db *DB) CSVJobCounts(ctx context.Context) (pending, running int, err error) {
	err = db.read().queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM csv_jobs WHERE state = ?),
		(SELECT COUNT(*) FROM csv_jobs WHERE state = ?)`, xerochat.CSVPending, xerochat.CSVRunning).Scan(&pending, &running)
	return pending, running, err
}
