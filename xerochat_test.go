package xerochat_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
)

func TestCanUseAPI(t *testing.T) {
	day := time.Date(2026, 3, 10, 23, 59, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		u    xerochat.User
		want bool
	}{
		{"active member, expires later", xerochat.User{Type: "Member", Status: 1, ExpiredDate: "2026-03-11"}, true},
		{"expires today: valid all day", xerochat.User{Type: "Member", Status: 1, ExpiredDate: "2026-03-10"}, true},
		{"expired yesterday", xerochat.User{Type: "Member", Status: 1, ExpiredDate: "2026-03-09"}, false},
		{"no expiry date", xerochat.User{Type: "Member", Status: 1}, true},
		{"inactive", xerochat.User{Type: "Member", Status: 0, ExpiredDate: "2099-01-01"}, false},
		{"deleted", xerochat.User{Type: "Member", Status: 1, Deleted: true}, false},
		{"admin never expires", xerochat.User{Type: "Admin", Status: 1, ExpiredDate: "2001-01-01"}, true},
		{"inactive admin", xerochat.User{Type: "Admin", Status: 0}, false},
	} {
		if got := tc.u.CanUseAPI(day); got != tc.want {
			t.Errorf("%s: CanUseAPI = %t, want %t", tc.name, got, tc.want)
		}
	}
}

func TestValidEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"a@example.com": true, "first.last+tag@sub.example.org": true,
		"": false, "a@b": false, "a@b.": false, "a@.b": false, "plain": false, "a b@c.com": false,
		"Ann <a@example.com>": false, "a@example.com\n": false, strings.Repeat("a", 250) + "@x.com": false,
	} {
		if got := xerochat.ValidEmail(s); got != want {
			t.Errorf("ValidEmail(%q) = %t, want %t", s, got, want)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	a, b := xerochat.NewAPIKey(7), xerochat.NewAPIKey(7)
	if a == b || !strings.HasPrefix(a, "7-") || len(a) != len("7-")+32 {
		t.Fatalf("keys %q, %q: want distinct 7-<32 hex>", a, b)
	}
	if h := xerochat.HashAPIKey(a); len(h) != 64 || h == xerochat.HashAPIKey(b) || h != xerochat.HashAPIKey(a) {
		t.Fatalf("HashAPIKey is not a stable SHA-256 hex digest: %q", h)
	}
}

func TestErrorHelpers(t *testing.T) {
	appErr := fmt.Errorf("wrapped: %w", &xerochat.Error{Code: xerochat.ENOTFOUND, Message: "No Label Found"})
	if xerochat.ErrorCode(appErr) != xerochat.ENOTFOUND || xerochat.ErrorMessage(appErr) != "No Label Found" {
		t.Errorf("application error: %q %q", xerochat.ErrorCode(appErr), xerochat.ErrorMessage(appErr))
	}
	internal := errors.New("pq: relation users does not exist")
	if xerochat.ErrorCode(internal) != xerochat.EINTERNAL || strings.Contains(xerochat.ErrorMessage(internal), "pq") {
		t.Errorf("an internal error leaks: %q", xerochat.ErrorMessage(internal))
	}
	if xerochat.ErrorCode(nil) != "" || xerochat.ErrorMessage(nil) != "" {
		t.Error("nil error has a code or message")
	}
}

func TestFlowFileCampaign(t *testing.T) {
	q := func(question, typ string, options ...string) xerochat.FlowFileQuestion {
		return xerochat.FlowFileQuestion{Question: question, Type: typ, Options: options}
	}
	many := make([]string, 14)
	for i := range many {
		many[i] = fmt.Sprint("opt", i)
	}
	for _, tc := range []struct {
		name    string
		file    xerochat.FlowFile
		wantErr string
	}{
		{"minimal", xerochat.FlowFile{FlowName: "F", Questions: []xerochat.FlowFileQuestion{q("Q?", "")}}, ""},
		{"no name", xerochat.FlowFile{Questions: []xerochat.FlowFileQuestion{q("Q?", "")}}, "flow_name is required"},
		{"no questions", xerochat.FlowFile{FlowName: "F"}, "at least one question"},
		{"blank question", xerochat.FlowFile{FlowName: "F", Questions: []xerochat.FlowFileQuestion{q(" ", "text")}}, "question 1: the question text is required"},
		{"unknown type", xerochat.FlowFile{FlowName: "F", Questions: []xerochat.FlowFileQuestion{q("Q?", "colour")}}, `question 1: unknown type "colour"`},
		{"choice without options", xerochat.FlowFile{FlowName: "F", Questions: []xerochat.FlowFileQuestion{q("Q?", "choice")}}, "needs options"},
		{"14 options", xerochat.FlowFile{FlowName: "F", Questions: []xerochat.FlowFileQuestion{q("Q?", "choice", many...)}}, "at most 13 options"},
		{"13 options of 20", xerochat.FlowFile{FlowName: "F", Questions: []xerochat.FlowFileQuestion{q("Q?", "choice", many[:13]...), q("R?", "choice", strings.Repeat("é", 20))}}, ""},
		{"option of 21", xerochat.FlowFile{FlowName: "F", Questions: []xerochat.FlowFileQuestion{q("Q?", "choice", strings.Repeat("x", 21))}}, "longer than 20 characters"},
		{"options on text", xerochat.FlowFile{FlowName: "F", Questions: []xerochat.FlowFileQuestion{q("Q?", "text", "a")}}, "only for type choice"},
	} {
		fc, err := tc.file.Campaign(1, 2)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(xerochat.ErrorMessage(err), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && (fc.UserID != 1 || fc.PageRef != 2 || fc.Questions[0].Type != xerochat.QuestionText && tc.name == "minimal"):
			t.Errorf("%s: campaign %+v", tc.name, fc)
		}
	}
}
