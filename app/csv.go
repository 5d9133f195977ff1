package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/xerochat/xerochat"
)

// CSVImports runs CSV imports of contacts as jobs stored in the database.
// Start stores a job; Run, in every serving process, claims jobs and
// imports them a chunk at a time, each chunk committed with the job's
// progress, so a job survives a restart and resumes where it stopped.
type CSVImports struct {
	Jobs     xerochat.CSVJobService
	Contacts xerochat.ContactService
	// Lease is how long a process keeps a job it claimed without progress
	// before another may take it over; default 30 seconds.
	Lease time.Duration
	// Chunk is how many rows one transaction imports; default 500.
	Chunk  int
	Logger *slog.Logger
	// Poll is how often Run looks for jobs other processes stored; default 2s.
	Poll time.Duration

	once sync.Once
	wake chan struct{}
}

// csvColumns are the indexes of the known columns in a file, -1 if absent.
type csvColumns struct{ email, phone, first, last int }

// readCSVHeader matches the header's columns by name, ignoring case,
// spaces and a byte-order mark.
func readCSVHeader(header []string) (csvColumns, error) {
	cols := csvColumns{-1, -1, -1, -1}
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "email", "e-mail":
			cols.email = i
		case "phone_number", "phone":
			cols.phone = i
		case "first_name":
			cols.first = i
		case "last_name":
			cols.last = i
		}
	}
	if cols.email < 0 && cols.phone < 0 {
		return cols, &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgCSVNoColumns}
	}
	return cols, nil
}

func newCSVReader(content []byte) *csv.Reader {
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	return r
}

// checkCSV reads the whole file once: its header, and that every row is
// CSV and there are not too many. A file that fails is refused before a
// job is stored, so a job never stops half way on a syntax error.
func checkCSV(content []byte) (header []string, total int, err error) {
	r := newCSVReader(content)
	header, err = r.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgCSVEmpty}
	}
	if err != nil {
		return nil, 0, csvSyntax(err)
	}
	if _, err := readCSVHeader(header); err != nil {
		return nil, 0, err
	}
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, csvSyntax(err)
		}
		if total++; total > xerochat.MaxCSVRows {
			return nil, 0, &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgCSVTooMany}
		}
	}
	if total == 0 {
		return nil, 0, &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgCSVEmpty}
	}
	return header, total, nil
}

func csvSyntax(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return xerochat.Errorf(xerochat.EINVALID, xerochat.MsgCSVBad, pe.Line, pe.Err)
	}
	return xerochat.Errorf(xerochat.EINVALID, xerochat.MsgCSVBad, 0, err)
}

// Start stores an import of the file into the user's group and wakes this
// process's runner. The group is checked as create_contact checks it.
func (im *CSVImports) Start(ctx context.Context, userID, groupID int64, fileName string, content []byte) (*xerochat.CSVJob, error) {
	if err := checkOwnGroup(ctx, im.Contacts, userID, groupID); err != nil {
		return nil, err
	}
	header, total, err := checkCSV(content)
	if err != nil {
		return nil, err
	}
	job := &xerochat.CSVJob{UserID: userID, GroupID: groupID, FileName: fileName, Header: header, Total: total,
		State: xerochat.CSVPending}
	if job.ID, err = im.Jobs.CreateCSVJob(ctx, job, content); err != nil {
		return nil, err
	}
	im.Wake()
	return job, nil
}

// Wake tells Run that a job is waiting.
func (im *CSVImports) Wake() {
	select {
	case im.wakeCh() <- struct{}{}:
	default:
	}
}

func (im *CSVImports) wakeCh() chan struct{} {
	im.once.Do(func() { im.wake = make(chan struct{}, 1) })
	return im.wake
}

// Run imports jobs until ctx ends.
func (im *CSVImports) Run(ctx context.Context) {
	wake := im.wakeCh()
	for {
		for im.runOne(ctx) {
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(orDefault(im.Poll, 2*time.Second)):
		}
	}
}

// runOne claims and runs one job, reporting whether there was one.
func (im *CSVImports) runOne(ctx context.Context) bool {
	lease := orDefault(im.Lease, 30*time.Second)
	job, content, err := im.Jobs.ClaimCSVJob(ctx, lease)
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND || ctx.Err() != nil {
		return false
	}
	if err != nil {
		im.logger().Error("csv import: claim", "err", err)
		return false
	}
	if err := im.run(ctx, job, content, lease); err != nil && ctx.Err() == nil {
		im.logger().Error("csv import", "job", job.ID, "err", err)
	}
	return true
}

func (im *CSVImports) logger() *slog.Logger {
	if im.Logger == nil {
		return slog.Default()
	}
	return im.Logger
}

// run imports the rows after job.Done, chunk by chunk.
func (im *CSVImports) run(ctx context.Context, job *xerochat.CSVJob, content []byte, lease time.Duration) error {
	r := newCSVReader(content)
	header, err := r.Read()
	if err != nil {
		return im.Jobs.FinishCSVJob(ctx, job.ID, "the file could not be read: "+err.Error())
	}
	cols, err := readCSVHeader(header)
	if err != nil {
		return im.Jobs.FinishCSVJob(ctx, job.ID, xerochat.ErrorMessage(err))
	}
	chunkSize := orDefault(im.Chunk, 500)
	chunk := make([]xerochat.CSVRow, 0, chunkSize)
	for n := 0; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return im.Jobs.FinishCSVJob(ctx, job.ID, xerochat.ErrorMessage(csvSyntax(err)))
		}
		if n < job.Done {
			continue // imported before a restart
		}
		line, _ := r.FieldPos(0)
		chunk = append(chunk, csvRow(cols, line, rec))
		if len(chunk) == chunkSize {
			if err := im.Jobs.ImportCSVRows(ctx, job, chunk, lease); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	if len(chunk) > 0 {
		if err := im.Jobs.ImportCSVRows(ctx, job, chunk, lease); err != nil {
			return err
		}
	}
	return im.Jobs.FinishCSVJob(ctx, job.ID, "")
}

// csvRow makes the contact of one row, judged by the contact's own rules
// (xerochat.Contact.Validate, as create_contact judges it); uniqueness is
// the store's to judge as it writes.
func csvRow(cols csvColumns, line int, rec []string) xerochat.CSVRow {
	field := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	row := xerochat.CSVRow{Line: line, Raw: rec, Contact: xerochat.Contact{Email: field(cols.email),
		PhoneNumber: field(cols.phone), FirstName: field(cols.first), LastName: field(cols.last)}}
	if err := row.Contact.Validate(); err != nil {
		row.Reject = xerochat.ErrorMessage(err)
	}
	return row
}
