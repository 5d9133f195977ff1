package xerochat

import (
	"context"
	"time"
)

// States of a CSV import job.
const (
	CSVPending = "pending" // stored, not yet claimed by a process
	CSVRunning = "running" // claimed; resumed by another process if its lease ends
	CSVDone    = "done"
	CSVFailed  = "failed" // the file could not be read at all
)

// MaxCSVRows is the most data rows one import takes.
const MaxCSVRows = 100_000

// CSVJob is an import of a CSV file of contacts into one of a user's
// groups. The file is stored with the job, so any process can run it and a
// restart resumes it where it stopped (Done rows are committed).
type CSVJob struct {
	ID       int64
	UserID   int64
	GroupID  int64
	FileName string
	// Header is the file's header row, kept for the rejected-rows file.
	Header   []string
	State    string
	Total    int
	Done     int
	Added    int
	Rejected int
	// Error says why a failed job could not run.
	Error      string
	CreatedAt  time.Time
	FinishedAt time.Time
}

// CSVRow is one data row of an import: the contact it describes, or the
// reason it is refused before the store sees it. Line is the row's line in
// the file (the header is line 1); Raw holds its fields as read.
type CSVRow struct {
	Line    int
	Contact Contact
	Reject  string
	Raw     []string
}

// CSVReject is a refused row, with the contract message that refused it.
type CSVReject struct {
	Line   int
	Reason string
	Raw    []string
}

// CSVJobService keeps import jobs. Methods taking a userID see only that
// user's jobs.
type CSVJobService interface {
	// CreateCSVJob stores a pending job with the file's content.
	CreateCSVJob(ctx context.Context, job *CSVJob, content []byte) (int64, error)
	FindCSVJob(ctx context.Context, userID, id int64) (*CSVJob, error)
	// ListCSVJobs returns the group's latest jobs, newest first.
	ListCSVJobs(ctx context.Context, userID, groupID int64, limit int) ([]*CSVJob, error)
	// ClaimCSVJob leases the oldest job that is pending or whose lease ran
	// out, and returns it with its file; ENOTFOUND when there is none.
	ClaimCSVJob(ctx context.Context, lease time.Duration) (*CSVJob, []byte, error)
	// ImportCSVRows stores the rows that follow the job's Done rows, in one
	// transaction: each contact by the rules of ContactService.CreateContact
	// (a refusal becomes a reject with its message), the rejects, and the
	// job's progress, renewing the lease. It fails with ECONFLICT when the
	// job moved on without this caller (another process took it over).
	ImportCSVRows(ctx context.Context, job *CSVJob, rows []CSVRow, lease time.Duration) error
	// FinishCSVJob ends the job: done, or failed with errMsg.
	FinishCSVJob(ctx context.Context, jobID int64, errMsg string) error
	// EachCSVReject calls fn for the job's rejected rows in file order.
	EachCSVReject(ctx context.Context, userID, jobID int64, fn func(CSVReject) error) error
}

// ContactQuery selects a page of a user's contacts in one group: those
// after the id After (keyset pagination), matching Search when set.
type ContactQuery struct {
	GroupID int64
	Search  string
	After   int64
	Limit   int
}

// ContactListService lists what the web app's contact screens show.
type ContactListService interface {
	// ListContactGroups returns the user's groups by id, with their number
	// of contacts.
	ListContactGroups(ctx context.Context, userID int64) ([]*ContactGroup, []int64, error)
	// ListContacts returns up to q.Limit contacts by id, and whether more follow.
	ListContacts(ctx context.Context, userID int64, q ContactQuery) ([]*Contact, bool, error)
	// EachContact calls fn for every contact of the group, by id. It streams.
	EachContact(ctx context.Context, userID, groupID int64, fn func(*Contact) error) error
}
