package api_test

import (
	"net/http"
	"testing"

	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// A new subscriber arrives with its profile: from the first message on,
// subscriber_information answers either "not found" or the subscriber with
// the names Facebook gave — never the subscriber without them.
func TestNewSubscriberArrivesWithProfile(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("ann@example.com", "111")
	for _, psid := range []string{"201", "202", "203"} {
		if _, err := s.Person(m, psid, fakegraph.Profile{FirstName: "Ada", LastName: "Lovelace"}).Say("hi"); err != nil {
			t.Fatal(err)
		}
		found := false
		xerochattest.Eventually(t, "subscriber "+psid, func() bool {
			v := s.Get("subscriber_information", xerochattest.Vals("api_key", m.Key, "subscriber_id", psid)).JSON(t)
			if v["status"] != "success" {
				return false
			}
			info := v["subscriber_info"].(map[string]any)
			if info["first_name"] != "Ada" || info["last_name"] != "Lovelace" {
				t.Fatalf("subscriber %s shown without its profile: %v", psid, info)
			}
			found = true
			return true
		})
		if !found {
			t.Fatal("never found")
		}
	}
}

// When Facebook does not answer the profile call, the subscriber is kept
// and shown without names, and the profile is fetched again later.
func TestSubscriberWithoutProfileIsKept(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("ann@example.com", "111")
	s.Fake.Fail(http.MethodGet, "/301", fakegraph.FBError{HTTPStatus: 500, Code: 1, Message: "An unknown error occurred"}, 1)
	if _, err := s.Person(m, "301", fakegraph.Profile{FirstName: "Grace", LastName: "Hopper"}).Say("hi"); err != nil {
		t.Fatal(err)
	}
	var first map[string]any
	xerochattest.Eventually(t, "the subscriber after a failed profile fetch", func() bool {
		v := s.Get("subscriber_information", xerochattest.Vals("api_key", m.Key, "subscriber_id", "301")).JSON(t)
		if v["status"] == "success" && first == nil {
			first = v["subscriber_info"].(map[string]any)
		}
		return first != nil
	})
	if first["first_name"] != "" {
		t.Fatalf("first seen with first name %q; the fetch failed, so it must be shown without", first["first_name"])
	}
	// The retry (after a back-off of a second) brings the names.
	xerochattest.Eventually(t, "the profile fetched again", func() bool {
		v := s.Get("subscriber_information", xerochattest.Vals("api_key", m.Key, "subscriber_id", "301")).JSON(t)
		return v["subscriber_info"].(map[string]any)["first_name"] == "Grace"
	})
}
