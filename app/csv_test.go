package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// A process that dies part way through an import leaves it at a chunk
// boundary; once its lease runs out another process finishes the job, and
// every row is counted once.
func TestCSVImportResumesAfterACrash(t *testing.T) {
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	uid, err := db.CreateUser(ctx, xerochat.NewUser{Name: "A", Email: "a@example.com", Password: "password-1", PackageID: 1})
	if err != nil {
		t.Fatal(err)
	}
	gid, err := db.CreateContactGroup(ctx, uid, "G")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("email\n")
	for i := range 25 {
		fmt.Fprintf(&b, "c%02d@example.com\n", i)
	}
	b.WriteString("c00@example.com\nnope\n")
	im := &app.CSVImports{Jobs: db, Contacts: db, Chunk: 10, Lease: time.Second}
	job, err := im.Start(ctx, uid, gid, "f.csv", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if job.Total != 27 {
		t.Fatalf("total %d", job.Total)
	}

	// The "crashed" process: claims the job, imports one chunk, stops.
	claimed, _, err := db.ClaimCSVJob(ctx, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]xerochat.CSVRow, 10)
	for i := range rows {
		rows[i] = xerochat.CSVRow{Line: i + 2, Contact: xerochat.Contact{Email: fmt.Sprintf("c%02d@example.com", i)}}
	}
	if err := db.ImportCSVRows(ctx, claimed, rows, time.Second); err != nil {
		t.Fatal(err)
	}
	// While its lease lasts, nobody else takes the job.
	if _, _, err := db.ClaimCSVJob(ctx, time.Second); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Fatalf("a leased job was claimed again: %v", err)
	}
	time.Sleep(2100 * time.Millisecond)

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { im.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j, err := db.FindCSVJob(ctx, uid, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == xerochat.CSVDone {
			if j.Done != 27 || j.Added != 25 || j.Rejected != 2 {
				t.Errorf("after resuming: %+v", j)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish: %+v", j)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The crashed process's late chunk is refused: the job moved on.
	if err := db.ImportCSVRows(ctx, claimed, rows, time.Second); xerochat.ErrorCode(err) != xerochat.ECONFLICT {
		t.Errorf("a stale chunk: %v, want ECONFLICT", err)
	}
}

func TestValidatePackage(t *testing.T) {
	for _, tc := range []struct {
		p    xerochat.NewPackage
		want string
	}{
		{xerochat.NewPackage{Name: " ", Price: "1"}, xerochat.MsgPackageNameRequired},
		{xerochat.NewPackage{Name: "Gold", Price: "-1"}, xerochat.MsgPackagePriceBad},
		{xerochat.NewPackage{Name: "Gold", Price: "1e"}, xerochat.MsgPackagePriceBad},
		{xerochat.NewPackage{Name: "Gold", Validity: -1}, xerochat.MsgPackageValidityBad},
		{xerochat.NewPackage{Name: "Gold", Price: "9.99", Validity: 30}, ""},
	} {
		if got := xerochat.ErrorMessage(app.ValidatePackage(&tc.p)); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
	if err := (&app.Packages{}).Delete(context.Background(), xerochat.TrialPackageID); xerochat.ErrorMessage(err) != xerochat.MsgTrialStays {
		t.Errorf("deleting Trial: %v", err)
	}
}
