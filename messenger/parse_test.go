package messenger_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/messenger"
)

// digestKeyShape matches the key of an event Facebook gave no message id: a kind
// prefix and 32 hex digits.
var digestKeyShape = regexp.MustCompile(`^[a-z]:[0-9a-f]{32}$`)

// wantEvent is what a test expects of one parsed event. Key is either exact
// or, ending in "#", a kind prefix followed by a digest.
type wantEvent struct {
	Key, Kind, PageID, PSID, Text, QuickReply, Payload, Referer string
	LabelID, LabelName                                          string
	LabelAdded                                                  bool
	TimeMS                                                      int64
}

func (w wantEvent) check(t *testing.T, i int, got xerochat.Event) {
	t.Helper()
	if prefix, ok := strings.CutSuffix(w.Key, "#"); ok {
		if !strings.HasPrefix(got.Key, prefix) || !digestKeyShape.MatchString(got.Key) {
			t.Errorf("event %d: key %q, want %s<digest>", i, got.Key, prefix)
		}
	} else if got.Key != w.Key {
		t.Errorf("event %d: key %q, want %q", i, got.Key, w.Key)
	}
	gotFields := []string{got.Kind, got.PageID, got.PSID, got.Text, got.QuickReplyPayload, got.Payload, got.RefererSource,
		got.LabelID, got.LabelName}
	wantFields := []string{w.Kind, w.PageID, w.PSID, w.Text, w.QuickReply, w.Payload, w.Referer, w.LabelID, w.LabelName}
	names := []string{"Kind", "PageID", "PSID", "Text", "QuickReplyPayload", "Payload", "RefererSource", "LabelID", "LabelName"}
	for j := range names {
		if gotFields[j] != wantFields[j] {
			t.Errorf("event %d: %s = %q, want %q", i, names[j], gotFields[j], wantFields[j])
		}
	}
	if got.LabelAdded != w.LabelAdded {
		t.Errorf("event %d: LabelAdded = %t, want %t", i, got.LabelAdded, w.LabelAdded)
	}
	if want := time.UnixMilli(w.TimeMS); !got.Time.Equal(want) {
		t.Errorf("event %d: Time = %v, want %v", i, got.Time, want)
	}
}

// rawBatch wraps entries (raw JSON) in a page webhook body.
func rawBatch(entries ...string) string {
	return `{"object":"page","entry":[` + strings.Join(entries, ",") + `]}`
}

// rawEntry is an entry of page 111 at time 1700000000000 with the given
// messaging events (raw JSON).
func rawEntry(events ...string) string {
	return `{"id":"111","time":1700000000000,"messaging":[` + strings.Join(events, ",") + `]}`
}

const (
	from222   = `"sender":{"id":"222"},"recipient":{"id":"111"},"timestamp":1700000000123`
	from333   = `"sender":{"id":"333"},"recipient":{"id":"111"},"timestamp":1700000000456`
	echoTo222 = `"sender":{"id":"111"},"recipient":{"id":"222"},"timestamp":1700000000124`
)

func TestParseBatch(t *testing.T) {
	msg := func(text string) wantEvent {
		return wantEvent{Key: "m:m_1", Kind: xerochat.EventMessage, PageID: "111", PSID: "222", Text: text, TimeMS: 1700000000123}
	}
	tests := []struct {
		name string
		body string
		want []wantEvent
	}{
		{"message", rawBatch(rawEntry(`{` + from222 + `,"message":{"mid":"m_1","text":"hello"}}`)),
			[]wantEvent{msg("hello")}},
		{"message without text (an attachment)", rawBatch(rawEntry(`{` + from222 + `,"message":{"mid":"m_1","attachments":[{"type":"image"}]}}`)),
			[]wantEvent{msg("")}},
		{"message without mid", rawBatch(rawEntry(`{` + from222 + `,"message":{"text":"hello"}}`)),
			[]wantEvent{{Key: "m:#", Kind: xerochat.EventMessage, PageID: "111", PSID: "222", Text: "hello", TimeMS: 1700000000123}}},
		{"quick reply", rawBatch(rawEntry(`{` + from222 + `,"message":{"mid":"m_1","text":"Red","quick_reply":{"payload":"RED"}}}`)),
			[]wantEvent{{Key: "m:m_1", Kind: xerochat.EventMessage, PageID: "111", PSID: "222", Text: "Red", QuickReply: "RED", TimeMS: 1700000000123}}},
		{"echo of the page's own message is skipped",
			rawBatch(rawEntry(`{` + echoTo222 + `,"message":{"mid":"m_e","is_echo":true,"app_id":1,"text":"Q1?"}}`)), nil},
		{"echo flag alone is enough to skip",
			rawBatch(rawEntry(`{` + from222 + `,"message":{"mid":"m_e","is_echo":true,"text":"Q1?"}}`)), nil},
		{"delivery and read receipts are skipped",
			rawBatch(rawEntry(`{`+from222+`,"delivery":{"mids":["m_1"],"watermark":1700000000000}}`,
				`{`+from222+`,"read":{"watermark":1700000000000}}`)), nil},
		{"postback with mid",
			rawBatch(rawEntry(`{` + from222 + `,"postback":{"mid":"m_pb","title":"Get Started","payload":"GET_STARTED"}}`)),
			[]wantEvent{{Key: "p:m_pb", Kind: xerochat.EventPostback, PageID: "111", PSID: "222", Payload: "GET_STARTED", TimeMS: 1700000000123}}},
		{"postback without mid",
			rawBatch(rawEntry(`{` + from222 + `,"postback":{"title":"Get Started","payload":"GET_STARTED"}}`)),
			[]wantEvent{{Key: "p:#", Kind: xerochat.EventPostback, PageID: "111", PSID: "222", Payload: "GET_STARTED", TimeMS: 1700000000123}}},
		{"postback with referral",
			rawBatch(rawEntry(`{` + from222 + `,"postback":{"mid":"m_pb","title":"Go","payload":"GO","referral":{"ref":"summer","source":"ADS","type":"OPEN_THREAD"}}}`)),
			[]wantEvent{{Key: "p:m_pb", Kind: xerochat.EventPostback, PageID: "111", PSID: "222", Payload: "GO", Referer: "ADS:summer", TimeMS: 1700000000123}}},
		{"referral with ref",
			rawBatch(rawEntry(`{` + from222 + `,"referral":{"ref":"promo","source":"SHORTLINK","type":"OPEN_THREAD"}}`)),
			[]wantEvent{{Key: "r:#", Kind: xerochat.EventReferral, PageID: "111", PSID: "222", Referer: "SHORTLINK:promo", TimeMS: 1700000000123}}},
		{"referral without ref",
			rawBatch(rawEntry(`{` + from222 + `,"referral":{"source":"SHORTLINK","type":"OPEN_THREAD"}}`)),
			[]wantEvent{{Key: "r:#", Kind: xerochat.EventReferral, PageID: "111", PSID: "222", Referer: "SHORTLINK", TimeMS: 1700000000123}}},
		{"standby events are read like messaging",
			rawBatch(`{"id":"111","time":1700000000000,"standby":[{` + from222 + `,"message":{"mid":"m_1","text":"hello"}}]}`),
			[]wantEvent{msg("hello")}},
		{"inbox label added and removed",
			rawBatch(`{"id":"111","time":1700000000999,"changes":[
				{"field":"inbox_labels","value":{"action":"add","label":{"id":"9001","page_label_name":"VIP"},"user":{"id":"222"}}},
				{"field":"inbox_labels","value":{"action":"remove","label":{"id":"9002","page_label_name":"Old"},"user":{"id":"333"}}}]}`),
			[]wantEvent{
				{Key: "l:#", Kind: xerochat.EventLabel, PageID: "111", PSID: "222", LabelID: "9001", LabelName: "VIP", LabelAdded: true, TimeMS: 1700000000999},
				{Key: "l:#", Kind: xerochat.EventLabel, PageID: "111", PSID: "333", LabelID: "9002", LabelName: "Old", LabelAdded: false, TimeMS: 1700000000999},
			}},
		{"other changes and incomplete label changes are skipped",
			rawBatch(`{"id":"111","time":1700000000999,"changes":[
				{"field":"feed","value":{"item":"post"}},
				{"field":"inbox_labels","value":{"action":"add","label":{"id":"9001"}}},
				{"field":"inbox_labels","value":{"action":"add","user":{"id":"222"}}}]}`), nil},
		{"missing sender is skipped",
			rawBatch(rawEntry(`{"recipient":{"id":"111"},"timestamp":1700000000123,"message":{"mid":"m_1","text":"hello"}}`)), nil},
		{"a sender that is the page itself is skipped",
			rawBatch(rawEntry(`{"sender":{"id":"111"},"recipient":{"id":"111"},"timestamp":1700000000123,"message":{"mid":"m_1","text":"x"}}`)), nil},
		{"entry without id takes the page from the recipient",
			rawBatch(`{"time":1700000000000,"messaging":[{` + from222 + `,"message":{"mid":"m_1","text":"hello"}}]}`),
			[]wantEvent{msg("hello")}},
		{"non-ASCII escaped as Facebook sends it",
			rawBatch(rawEntry(`{` + from222 + `,"message":{"mid":"m_1","text":"Zo\u00eb \ud83d\ude00 \u65e5\u672c"}}`)),
			[]wantEvent{msg("Zoë 😀 日本")}},
		{"several entries and events keep their order",
			rawBatch(
				rawEntry(`{`+from222+`,"message":{"mid":"m_a","text":"one"}}`,
					`{`+from222+`,"delivery":{"mids":["m_a"],"watermark":1}}`,
					`{`+from333+`,"message":{"mid":"m_b","text":"two"}}`),
				`{"id":"444","time":1700000000000,"messaging":[{"sender":{"id":"555"},"recipient":{"id":"444"},"timestamp":1700000000789,"postback":{"mid":"m_c","payload":"P"}}]}`,
				`{"id":"111","time":1700000000001,"standby":[{`+from333+`,"message":{"mid":"m_d","text":"three"}}]}`),
			[]wantEvent{
				{Key: "m:m_a", Kind: xerochat.EventMessage, PageID: "111", PSID: "222", Text: "one", TimeMS: 1700000000123},
				{Key: "m:m_b", Kind: xerochat.EventMessage, PageID: "111", PSID: "333", Text: "two", TimeMS: 1700000000456},
				{Key: "p:m_c", Kind: xerochat.EventPostback, PageID: "444", PSID: "555", Payload: "P", TimeMS: 1700000000789},
				{Key: "m:m_d", Kind: xerochat.EventMessage, PageID: "111", PSID: "333", Text: "three", TimeMS: 1700000000456},
			}},
		{"no entries", `{"object":"page","entry":[]}`, nil},
		{"unknown fields are ignored",
			rawBatch(`{"id":"111","time":1700000000000,"hop_context":[{"app_id":1}],"messaging":[{` + from222 +
				`,"message":{"mid":"m_1","text":"hello","nlp":{"entities":{}}},"pass_thread_control":null}]}`),
			[]wantEvent{msg("hello")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := messenger.ParseBatch([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseBatch: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				w.check(t, i, got[i])
			}
		})
	}
}

func TestParseBatchMalformed(t *testing.T) {
	for _, body := range []string{``, `{`, `not json`, `[1,2]`, `{"object":"page","entry":"x"}`,
		`{"object":"page","entry":[{"id":"111","messaging":[{"sender":{"id":222}}]}]}`} {
		if evs, err := messenger.ParseBatch([]byte(body)); err == nil {
			t.Errorf("messenger.ParseBatch(%q) = %+v, want an error", body, evs)
		}
	}
}

func TestParseBatchMissingTimestamp(t *testing.T) {
	got, err := messenger.ParseBatch([]byte(rawBatch(`{"id":"111","messaging":[{"sender":{"id":"222"},"recipient":{"id":"111"},"message":{"mid":"m_1","text":"x"}}]}`)))
	if err != nil || len(got) != 1 {
		t.Fatalf("ParseBatch = %+v, %v", got, err)
	}
	if got[0].Time.IsZero() || got[0].Time.Before(time.Unix(1700000000, 0)) {
		t.Fatalf("an event without timestamp has time %v, want the time it was read", got[0].Time)
	}
}

// parsedKey parses a batch of one event and returns its key.
func parsedKey(t *testing.T, body string) string {
	t.Helper()
	evs, err := messenger.ParseBatch([]byte(body))
	if err != nil || len(evs) != 1 {
		t.Fatalf("messenger.ParseBatch(%s) = %+v, %v; want one event", body, evs, err)
	}
	return evs[0].Key
}

func TestParseBatchKeys(t *testing.T) {
	ev := func(ms int64, psid, body string) string {
		return rawBatch(rawEntry(`{"sender":{"id":"` + psid + `"},"recipient":{"id":"111"},"timestamp":` +
			strconv.FormatInt(1700000000000+ms, 10) + `,` + body + `}`))
	}
	label := func(entryTime int64, psid, labelID, action string) string {
		return rawBatch(`{"id":"111","time":` + strconv.FormatInt(entryTime, 10) + `,"changes":[{"field":"inbox_labels","value":{"action":"` + action +
			`","label":{"id":"` + labelID + `","page_label_name":"VIP"},"user":{"id":"` + psid + `"}}}]}`)
	}
	t.Run("stable", func(t *testing.T) {
		for _, body := range []string{
			ev(1, "222", `"message":{"mid":"m_1","text":"hi"}`),
			ev(1, "222", `"message":{"text":"hi"}`),
			ev(1, "222", `"postback":{"payload":"GO"}`),
			ev(1, "222", `"postback":{"mid":"m_p","payload":"GO"}`),
			ev(1, "222", `"referral":{"ref":"r","source":"SHORTLINK"}`),
			label(5, "222", "9001", "add"),
		} {
			if a, b := parsedKey(t, body), parsedKey(t, body); a != b || a == "" {
				t.Errorf("the same batch gave keys %q and %q", a, b)
			}
		}
	})
	t.Run("same event, different encoding", func(t *testing.T) {
		pairs := [][2]string{
			{ev(1, "222", `"message":{"text":"Zo\u00eb"}`), ev(1, "222", `"message":{"text":"Zoë"}`)},
			{ev(1, "222", `"postback":{"payload":"G\u00d6"}`), ev(1, "222", "\n  \"postback\" : {\"payload\": \"GÖ\"}")},
			{ev(1, "222", `"message":{"mid":"m_1","text":"a"}`),
				strings.Replace(ev(1, "222", `"message":{"mid":"m_1","text":"a"}`), `"time":1700000000000`, `"time":1700000009999`, 1)},
		}
		for _, p := range pairs {
			if a, b := parsedKey(t, p[0]), parsedKey(t, p[1]); a != b {
				t.Errorf("keys differ for one event: %q (%s) and %q (%s)", a, p[0], b, p[1])
			}
		}
	})
	t.Run("different events", func(t *testing.T) {
		bodies := []string{
			ev(1, "222", `"message":{"mid":"m_1","text":"hi"}`),
			ev(1, "222", `"message":{"mid":"m_2","text":"hi"}`),
			ev(1, "222", `"postback":{"mid":"m_1","payload":"GO"}`), // a postback is not the message of the same mid
			ev(1, "222", `"message":{"text":"hi"}`),
			ev(2, "222", `"message":{"text":"hi"}`),
			ev(1, "222", `"message":{"text":"ho"}`),
			ev(1, "333", `"message":{"text":"hi"}`),
			ev(1, "222", `"postback":{"payload":"GO"}`),
			ev(2, "222", `"postback":{"payload":"GO"}`),
			ev(1, "222", `"postback":{"payload":"STOP"}`),
			ev(1, "333", `"postback":{"payload":"GO"}`),
			ev(1, "222", `"referral":{"ref":"r","source":"SHORTLINK"}`),
			ev(1, "222", `"referral":{"ref":"s","source":"SHORTLINK"}`),
			ev(1, "222", `"referral":{"ref":"r","source":"ADS"}`),
			ev(2, "222", `"referral":{"ref":"r","source":"SHORTLINK"}`),
			label(5, "222", "9001", "add"),
			label(5, "222", "9001", "remove"),
			label(6, "222", "9001", "add"), // added again after a removal
			label(5, "333", "9001", "add"),
			label(5, "222", "9002", "add"),
		}
		seen := map[string]string{}
		for _, body := range bodies {
			k := parsedKey(t, body)
			if prev, ok := seen[k]; ok {
				t.Errorf("two different events share key %q:\n%s\n%s", k, prev, body)
			}
			seen[k] = body
		}
	})
}
