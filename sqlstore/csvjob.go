package sqlstore

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"time"

	"github.com/xerochat/xerochat"
)

var _ xerochat.CSVJobService = (*DB)(nil)

const csvJobColumns = `id, user_id, group_id, file_name, header, state, total, done, added, rejected, error, created_at, finished_at`

func scanCSVJob(row interface{ Scan(...any) error }, extra ...any) (*xerochat.CSVJob, error) {
	var j xerochat.CSVJob
	var created, finished int64
	var header string
	if err := row.Scan(append([]any{&j.ID, &j.UserID, &j.GroupID, &j.FileName, &header, &j.State, &j.Total, &j.Done, &j.Added,
		&j.Rejected, &j.Error, &created, &finished}, extra...)...); err != nil {
		return nil, err
	}
	j.CreatedAt, j.FinishedAt = unix(created), unix(finished)
	j.Header = parseCSVLine(header)
	return &j, nil
}

// msgJobNotFound is the not-found message of import jobs; the web app
// shows its own not-found page for every ENOTFOUND.
const msgJobNotFound = "No such import"

// CreateCSVJob stores a pending job and its file.
func (db *DB) CreateCSVJob(ctx context.Context, j *xerochat.CSVJob, content []byte) (int64, error) {
	return db.write().insert(ctx, `INSERT INTO csv_jobs (user_id, group_id, file_name, header, content, state, total, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, j.UserID, j.GroupID, j.FileName, csvLine(j.Header), string(content),
		xerochat.CSVPending, j.Total, db.now())
}

// FindCSVJob returns the user's job.
func (db *DB) FindCSVJob(ctx context.Context, userID, id int64) (*xerochat.CSVJob, error) {
	j, err := scanCSVJob(db.read().queryRow(ctx, `SELECT `+csvJobColumns+` FROM csv_jobs WHERE id = ? AND user_id = ?`, id, userID))
	return j, notFound(err, msgJobNotFound)
}

// ListCSVJobs returns the group's latest jobs, newest first.
func (db *DB) ListCSVJobs(ctx context.Context, userID, groupID int64, limit int) ([]*xerochat.CSVJob, error) {
	rows, err := db.read().query(ctx, `SELECT `+csvJobColumns+` FROM csv_jobs WHERE user_id = ? AND group_id = ?
		ORDER BY id DESC LIMIT ?`, userID, groupID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*xerochat.CSVJob
	for rows.Next() {
		j, err := scanCSVJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// ClaimCSVJob leases the oldest open job. The lease is re-checked by the
// UPDATE itself, so two processes racing for one job cannot both win.
func (db *DB) ClaimCSVJob(ctx context.Context, lease time.Duration) (*xerochat.CSVJob, []byte, error) {
	var job *xerochat.CSVJob
	var content string
	err := db.inTx(ctx, func(c conn) error {
		now := db.now()
		var id int64
		err := c.queryRow(ctx, `SELECT id FROM csv_jobs WHERE state IN (?, ?) AND locked_until < ? ORDER BY id LIMIT 1`,
			xerochat.CSVPending, xerochat.CSVRunning, now).Scan(&id)
		if err != nil {
			return notFound(err, msgJobNotFound)
		}
		res, err := c.exec(ctx, `UPDATE csv_jobs SET state = ?, locked_until = ? WHERE id = ? AND locked_until < ?`,
			xerochat.CSVRunning, now+leaseSeconds(lease), id, now)
		if err := affectedOne(res, err, msgJobNotFound); err != nil {
			return err
		}
		job, err = scanCSVJob(c.queryRow(ctx, `SELECT `+csvJobColumns+`, content FROM csv_jobs WHERE id = ?`, id), &content)
		return err
	})
	return job, []byte(content), err
}

// ImportCSVRows stores one chunk of rows and the job's progress together,
// so a crash leaves the job exactly at a chunk boundary.
func (db *DB) ImportCSVRows(ctx context.Context, job *xerochat.CSVJob, rows []xerochat.CSVRow, lease time.Duration) error {
	added, rejected := 0, 0
	err := db.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE csv_jobs SET locked_until = ? WHERE id = ? AND done = ? AND state = ?`,
			db.now()+leaseSeconds(lease), job.ID, job.Done, xerochat.CSVRunning)
		if err := affectedOne(res, err, msgJobNotFound); err != nil {
			return &xerochat.Error{Code: xerochat.ECONFLICT, Message: "the import moved on in another process"}
		}
		_, groupErr := findContactGroup(ctx, c, job.UserID, job.GroupID)
		if groupErr != nil && xerochat.ErrorCode(groupErr) != xerochat.ENOTFOUND {
			return groupErr
		}
		for _, r := range rows {
			reason := r.Reject
			if reason == "" && groupErr != nil {
				reason = xerochat.MsgContactGroupDenied // the group was deleted during the import
			}
			if reason == "" {
				ct := r.Contact
				ct.UserID, ct.ContactTypeID = job.UserID, job.GroupID
				switch err := importContact(ctx, c, &ct); xerochat.ErrorCode(err) {
				case "":
					added++
					continue
				case xerochat.ECONFLICT:
					reason = xerochat.ErrorMessage(err)
				default:
					return err
				}
			}
			rejected++
			if _, err := c.exec(ctx, `INSERT INTO csv_job_rejects (job_id, line, reason, raw) VALUES (?, ?, ?, ?)`,
				job.ID, r.Line, reason, csvLine(r.Raw)); err != nil {
				return err
			}
		}
		_, err = c.exec(ctx, `UPDATE csv_jobs SET done = done + ?, added = added + ?, rejected = rejected + ? WHERE id = ?`,
			len(rows), added, rejected, job.ID)
		return err
	})
	if err == nil {
		job.Done, job.Added, job.Rejected = job.Done+len(rows), job.Added+added, job.Rejected+rejected
	}
	return err
}

// importContact stores a contact whose group is known to be the user's,
// with CreateContact's statement and uniqueness rules; when it inserts
// nothing, checkContactUnique tells why. A savepoint keeps a unique-index
// failure (a race with another writer) from aborting the chunk's
// transaction on PostgreSQL.
func importContact(ctx context.Context, c conn, ct *xerochat.Contact) error {
	if _, err := c.exec(ctx, `SAVEPOINT import_row`); err != nil {
		return err
	}
	_, err := c.insert(ctx, insertContact, insertContactArgs(ct)...)
	switch {
	case isNoRows(err):
		err = checkContactUnique(ctx, c, ct.UserID, 0, ct.Email, ct.PhoneNumber)
		if err == nil {
			err = errors.New("import contact: refused, and no check tells why")
		}
	case err != nil:
		err = contactConflict(err)
	}
	if err != nil {
		if _, rbErr := c.exec(ctx, `ROLLBACK TO SAVEPOINT import_row`); rbErr != nil {
			return rbErr
		}
		return err
	}
	_, err = c.exec(ctx, `RELEASE SAVEPOINT import_row`)
	return err
}

func csvLine(fields []string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(fields) // a bytes.Buffer does not fail
	w.Flush()
	return string(bytes.TrimRight(b.Bytes(), "\r\n"))
}

// parseCSVLine reads back a line csvLine wrote.
func parseCSVLine(s string) []string {
	if s == "" {
		return nil
	}
	r := csv.NewReader(bytes.NewReader([]byte(s)))
	r.FieldsPerRecord = -1
	fields, err := r.Read()
	if err != nil {
		return []string{s}
	}
	return fields
}

// FinishCSVJob ends the job.
func (db *DB) FinishCSVJob(ctx context.Context, jobID int64, errMsg string) error {
	state := xerochat.CSVDone
	if errMsg != "" {
		state = xerochat.CSVFailed
	}
	_, err := db.write().exec(ctx, `UPDATE csv_jobs SET state = ?, error = ?, finished_at = ?, locked_until = 0, content = ''
		WHERE id = ?`, state, errMsg, db.now(), jobID)
	return err
}

// EachCSVReject streams the job's rejected rows by line.
func (db *DB) EachCSVReject(ctx context.Context, userID, jobID int64, fn func(xerochat.CSVReject) error) error {
	if _, err := db.FindCSVJob(ctx, userID, jobID); err != nil {
		return err
	}
	rows, err := db.read().query(ctx, `SELECT line, reason, raw FROM csv_job_rejects WHERE job_id = ? ORDER BY line`, jobID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r xerochat.CSVReject
		var raw string
		if err := rows.Scan(&r.Line, &r.Reason, &raw); err != nil {
			return err
		}
		r.Raw = parseCSVLine(raw)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
