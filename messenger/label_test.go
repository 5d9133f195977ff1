package messenger_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// TestInboxLabels keeps labels in step with the page's inbox.
func TestInboxLabels(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("labels@example.com", "750000000000001")
	c := startChat(t, s, m, "2550000000000001", fakegraph.Profile{FirstName: "Lee"})
	c.say("hi")
	labels := func() any { return s.SubscriberInfo(m, c.p.PSID)["labels"] }
	allLabels := func() string {
		return string(s.Get("get_all_labels", xerochattest.Vals("api_key", m.Key, "page_id", m.PageID)).Body)
	}

	res := s.Post("create_label", xerochattest.Vals("api_key", m.Key, "page_id", m.PageID, "label_name", "VIP"))
	vip, _ := res.JSON(t)["label_id"].(string)
	if vip == "" {
		t.Fatalf("create_label: %s", res.Body)
	}
	if err := c.p.Label(vip, "VIP", true); err != nil {
		t.Fatal(err)
	}
	addVIP := bytes.Clone(c.p.LastBody)
	c.expect()
	if got := labels(); got != vip {
		t.Fatalf("after the inbox added VIP: labels = %q, want %q", got, vip)
	}

	// A label made in the page's inbox, unknown here until now.
	churn := s.Fake.AddLabel(m.PageID, "Churn risk")
	if err := c.p.Label(churn, "Churn risk", true); err != nil {
		t.Fatal(err)
	}
	addChurn := bytes.Clone(c.p.LastBody)
	c.expect()
	if got := labels(); got != vip+","+churn {
		t.Fatalf("after the inbox added a new label: labels = %q, want %q", got, vip+","+churn)
	}
	wantAll := fmt.Sprintf(`{"status":"success","label_info":[{"label_id":%q,"label_name":"VIP"},{"label_id":%q,"label_name":"Churn risk"}]}`+"\n", vip, churn)
	if got := allLabels(); got != wantAll {
		t.Fatalf("get_all_labels:\n got %s\nwant %s", got, wantAll)
	}

	if err := c.p.Label(vip, "VIP", false); err != nil {
		t.Fatal(err)
	}
	c.expect()
	if got := labels(); got != churn {
		t.Fatalf("after the inbox removed VIP: labels = %q, want %q", got, churn)
	}

	// Facebook re-delivers both additions: neither takes effect again, so
	// VIP stays removed and no label is stored twice.
	for _, body := range [][]byte{addVIP, addChurn} {
		if status, err := c.p.PostRaw(body, true); err != nil || status != http.StatusOK {
			t.Fatalf("re-delivery: status %d, %v", status, err)
		}
	}
	c.expect()
	if got := labels(); got != churn {
		t.Fatalf("after re-delivered additions: labels = %q, want %q", got, churn)
	}
	if got := allLabels(); got != wantAll {
		t.Fatalf("get_all_labels after re-delivery:\n got %s\nwant %s", got, wantAll)
	}
	c.done()
}
