package app_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// TestCreateLabelIdempotent: Facebook makes a new label on every call, so a
// second create of the same name must not reach it.
func TestCreateLabelIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	user := e.member(t, "a@example.com")
	p := e.page(t, user, "1000000000000001", true)

	first, err := e.app.CreateLabel(ctx, user, p.PageID, "VIP")
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.app.CreateLabel(ctx, user, p.PageID, "VIP")
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != second.ID || first.LabelID != second.LabelID || first.LabelID == "" {
		t.Errorf("two creates gave labels %+v and %+v, want the same one", first, second)
	}
	if got, want := e.fake.Labels(p.PageID), []fakegraph.Label{{ID: first.LabelID, Name: "VIP"}}; !slices.Equal(got, want) {
		t.Errorf("Facebook's labels %v, want %v", got, want)
	}
	if n := e.fake.CallCount(http.MethodPost, "/custom_labels"); n != 1 {
		t.Errorf("Facebook got %d creates, want 1", n)
	}
}

// TestAssignAndRemoveLabels checks Facebook's record and the store's after
// each change, and that a label of another page is refused before any
// label is assigned.
func TestAssignAndRemoveLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	user := e.member(t, "a@example.com")
	p := e.page(t, user, "1000000000000001", true)
	other := e.page(t, user, "1000000000000002", true)
	const psid = "2000000000000001"
	e.subscriber(t, p, psid)
	var ids []string
	for _, name := range []string{"L1", "L2", "L3"} {
		l, err := e.app.CreateLabel(ctx, user, p.PageID, name)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.LabelID)
	}
	elsewhere, err := e.app.CreateLabel(ctx, user, other.PageID, "On the other page")
	if err != nil {
		t.Fatal(err)
	}
	stored := func() []string {
		t.Helper()
		s, err := e.db.FindSubscriber(ctx, user, psid, p.PageID)
		if err != nil {
			t.Fatal(err)
		}
		return sorted(s.LabelIDs)
	}
	want := func(step string, labels ...string) {
		t.Helper()
		if got := e.fake.UserLabels(p.PageID, psid); !slices.Equal(got, labels) {
			t.Errorf("%s: Facebook has labels %v on the person, want %v", step, got, labels)
		}
		if got := stored(); !slices.Equal(got, sorted(labels)) {
			t.Errorf("%s: the store has labels %v, want %v", step, got, labels)
		}
	}

	if err := e.app.AssignLabels(ctx, user, p.PageID, psid, []string{ids[0], ids[1]}); err != nil {
		t.Fatal(err)
	}
	want("assign L1, L2", ids[0], ids[1])

	e.fake.ResetCalls()
	err = e.app.AssignLabels(ctx, user, p.PageID, psid, []string{ids[2], elsewhere.LabelID})
	wantError(t, err, xerochat.ENOTFOUND, xerochat.MsgLabelNotFound)
	if n := e.fake.CallCount(http.MethodPost, "/label"); n != 0 {
		t.Errorf("a refused assign reached Facebook %d times", n)
	}
	want("assign L3 and another page's label", ids[0], ids[1])

	if err := e.app.RemoveLabels(ctx, user, p.PageID, psid, []string{ids[0]}); err != nil {
		t.Fatal(err)
	}
	want("remove L1", ids[1])
	err = e.app.RemoveLabels(ctx, user, p.PageID, psid, []string{ids[1], elsewhere.LabelID})
	wantError(t, err, xerochat.ENOTFOUND, xerochat.MsgLabelNotFound)
	want("remove L2 and another page's label", ids[1])
}

// sorted returns ids sorted, for order-free comparison.
func sorted(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// TestImportLabels counts what each import did and shows that importing
// again changes nothing.
func TestImportLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	user := e.member(t, "a@example.com")
	p := e.page(t, user, "1000000000000001", true) // no labels on Facebook yet
	a := e.fake.AddLabel(p.PageID, "A")
	b := e.fake.AddLabel(p.PageID, "B")
	e.fake.AddLabel(p.PageID, "C")

	steps := []struct {
		name   string
		before func(t *testing.T)
		want   app.LabelImport
	}{
		{"first import", nil, app.LabelImport{Listed: 3, New: 3}},
		{"again", nil, app.LabelImport{Listed: 3, Unchanged: 3}},
		{"new, renamed and deleted on Facebook", func(t *testing.T) {
			e.fake.AddLabel(p.PageID, "D")
			// A name here that is not Facebook's, and a label Facebook no
			// longer lists, are written through the store's own path.
			save := func(id, name string) {
				if _, err := e.db.SaveLabel(ctx, &xerochat.Label{UserID: user, PageRef: p.ID, LabelID: id, Name: name}); err != nil {
					t.Fatal(err)
				}
			}
			save(b, "Old B")
			save("999999", "Deleted on Facebook")
		}, app.LabelImport{Listed: 4, New: 1, Renamed: 1, Unchanged: 2, Kept: 1}},
		{"again after the changes", nil, app.LabelImport{Listed: 4, Unchanged: 4, Kept: 1}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.before != nil {
				step.before(t)
			}
			got, err := e.app.ImportLabels(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if got != step.want {
				t.Errorf("import %+v, want %+v", got, step.want)
			}
		})
	}
	labels, err := e.db.ListLabels(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, l := range labels {
		names[l.LabelID] = l.Name
	}
	if len(labels) != 5 || names[a] != "A" || names[b] != "B" || names["999999"] != "Deleted on Facebook" {
		t.Errorf("stored labels %v, want A, B (renamed back), C, D and the kept one", names)
	}
}

// TestSyncLabelsBotDisabled: a page whose bot is off still has its labels
// imported, while creating one there is refused.
func TestSyncLabelsBotDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	user := e.member(t, "a@example.com")
	p := e.page(t, user, "1000000000000001", false)
	id := e.fake.AddLabel(p.PageID, "VIP")

	got, err := e.app.SyncLabels(ctx, user, p.PageID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (app.LabelImport{Listed: 1, New: 1}); got != want {
		t.Errorf("sync %+v, want %+v", got, want)
	}
	labels, err := e.db.ListLabels(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 1 || labels[0].LabelID != id || labels[0].Name != "VIP" {
		t.Errorf("stored labels %+v, want VIP %s", labels, id)
	}
	_, err = e.app.CreateLabel(ctx, user, p.PageID, "New")
	wantError(t, err, xerochat.ENOTFOUND, xerochat.MsgNoEnabledBot)
	// Another user's page is not synced.
	_, err = e.app.SyncLabels(ctx, e.member(t, "b@example.com"), p.PageID)
	if xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Errorf("sync of another user's page: %v, want ENOTFOUND", err)
	}
}
