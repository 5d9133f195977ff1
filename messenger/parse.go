package messenger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/xerochat/xerochat"
)

// batch is the webhook body: entries of a page, each with messaging events
// (or standby events during handover) and field changes.
type batch struct {
	Object string `json:"object"`
	Entry  []struct {
		ID        string           `json:"id"`
		Time      int64            `json:"time"`
		Messaging []messagingEvent `json:"messaging"`
		Standby   []messagingEvent `json:"standby"`
		Changes   []change         `json:"changes"`
	} `json:"entry"`
}

type messagingEvent struct {
	Sender    struct{ ID string } `json:"sender"`
	Recipient struct{ ID string } `json:"recipient"`
	Timestamp int64               `json:"timestamp"`
	Message   *struct {
		MID        string `json:"mid"`
		Text       string `json:"text"`
		IsEcho     bool   `json:"is_echo"`
		QuickReply *struct {
			Payload string `json:"payload"`
		} `json:"quick_reply"`
	} `json:"message"`
	Postback *struct {
		MID      string    `json:"mid"`
		Title    string    `json:"title"`
		Payload  string    `json:"payload"`
		Referral *referral `json:"referral"`
	} `json:"postback"`
	Referral *referral `json:"referral"`
}

type referral struct {
	Ref    string `json:"ref"`
	Source string `json:"source"`
	Type   string `json:"type"`
}

// change is an entry of changes[]; inbox_labels tells that a label was put
// on or taken off a person in the page's inbox.
type change struct {
	Field string `json:"field"`
	Value struct {
		Action string `json:"action"` // "add" or "remove"
		Label  struct {
			ID            string `json:"id"`
			PageLabelName string `json:"page_label_name"`
		} `json:"label"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"value"`
}

// MaxBatchEvents bounds the events one webhook body may carry; Facebook's
// batches hold a few. Intake refuses a larger one.
const MaxBatchEvents = 1000

// ParseBatch reads the events of a webhook body that xerochat acts on, in
// the order Facebook sent them. Echoes of the page's own messages,
// delivery and read receipts are left out, and so is any event beyond the
// bounds of xerochat.Event.Validate: a bad event drops itself, never its
// batch.
func ParseBatch(body []byte) ([]xerochat.Event, error) {
	events, _, err := parseBatch(body)
	return events, err
}

// countEvents counts the entries' events of a body as Facebook shaped it,
// without reading them.
func countEvents(body []byte) (int, error) {
	var b struct {
		Entry []struct {
			Messaging []json.RawMessage `json:"messaging"`
			Standby   []json.RawMessage `json:"standby"`
			Changes   []json.RawMessage `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return 0, err
	}
	n := 0
	for _, e := range b.Entry {
		n += len(e.Messaging) + len(e.Standby) + len(e.Changes)
	}
	return n, nil
}

// laneBatch is the part of a webhook body that belongs to one lane.
type laneBatch struct {
	lane string
	body []byte
}

// splitLanes cuts a body into one batch per page, so that each page's
// events keep their order in the page's lane while other pages go on. A
// body of one page (the usual case) is kept as it came; a body of several
// is cut between entries, each entry kept byte for byte. A body whose
// entries cannot be read is kept whole, in the lane "", for the worker to
// drop with a log line.
func splitLanes(body []byte) []laneBatch {
	var b struct {
		Entry []json.RawMessage `json:"entry"`
	}
	if json.Unmarshal(body, &b) != nil {
		return []laneBatch{{lane: "", body: body}}
	}
	var order []string
	entries := map[string][]json.RawMessage{}
	for _, raw := range b.Entry {
		var e struct {
			ID        string `json:"id"`
			Messaging []struct {
				Recipient struct{ ID string } `json:"recipient"`
			} `json:"messaging"`
		}
		_ = json.Unmarshal(raw, &e)
		lane := e.ID
		if lane == "" && len(e.Messaging) > 0 {
			lane = e.Messaging[0].Recipient.ID
		}
		if _, seen := entries[lane]; !seen {
			order = append(order, lane)
		}
		entries[lane] = append(entries[lane], raw)
	}
	if len(order) <= 1 {
		lane := ""
		if len(order) == 1 {
			lane = order[0]
		}
		return []laneBatch{{lane: lane, body: body}}
	}
	out := make([]laneBatch, 0, len(order))
	for _, lane := range order {
		part, _ := json.Marshal(struct {
			Object string            `json:"object"`
			Entry  []json.RawMessage `json:"entry"`
		}{"page", entries[lane]})
		out = append(out, laneBatch{lane: lane, body: part})
	}
	return out
}

// parseBatch is ParseBatch that also returns why each bad event was
// dropped.
func parseBatch(body []byte) (events []xerochat.Event, dropped []error, err error) {
	var b batch
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, nil, fmt.Errorf("webhook batch: %w", err)
	}
	var out []xerochat.Event
	for _, e := range b.Entry {
		for _, m := range append(e.Messaging, e.Standby...) {
			if ev, ok := fromMessaging(e.ID, m); ok {
				out = append(out, ev)
			}
		}
		for _, c := range e.Changes {
			if c.Field != "inbox_labels" || c.Value.User.ID == "" || c.Value.Label.ID == "" ||
				c.Value.Action != "add" && c.Value.Action != "remove" {
				continue
			}
			ev := xerochat.Event{Kind: xerochat.EventLabel, PageID: e.ID, PSID: c.Value.User.ID, Time: millis(e.Time),
				LabelID: c.Value.Label.ID, LabelName: c.Value.Label.PageLabelName, LabelAdded: c.Value.Action != "remove"}
			ev.Key = digestKey("l", e.ID, ev.PSID, ev.LabelID, c.Value.Action, fmt.Sprint(e.Time))
			out = append(out, ev)
		}
	}
	for _, ev := range out {
		ev = clean(ev)
		if err := ev.Validate(); err != nil {
			dropped = append(dropped, fmt.Errorf("event %.60q dropped: %w", ev.Key, err))
			continue
		}
		events = append(events, ev)
	}
	return events, dropped, nil
}

func fromMessaging(pageID string, m messagingEvent) (xerochat.Event, bool) {
	if pageID == "" {
		pageID = m.Recipient.ID
	}
	ev := xerochat.Event{PageID: pageID, PSID: m.Sender.ID, Time: millis(m.Timestamp)}
	if ev.PSID == "" || ev.PSID == pageID {
		return ev, false
	}
	switch {
	case m.Message != nil:
		if m.Message.IsEcho {
			return ev, false
		}
		ev.Kind, ev.Text = xerochat.EventMessage, m.Message.Text
		if m.Message.QuickReply != nil {
			ev.QuickReplyPayload = m.Message.QuickReply.Payload
		}
		ev.Key = "m:" + m.Message.MID
		if m.Message.MID == "" {
			ev.Key = digestKey("m", pageID, ev.PSID, fmt.Sprint(m.Timestamp), ev.Text)
		}
	case m.Postback != nil:
		ev.Kind, ev.Payload = xerochat.EventPostback, m.Postback.Payload
		if m.Postback.Referral != nil {
			ev.RefererSource = refererSource(m.Postback.Referral)
		}
		ev.Key = "p:" + m.Postback.MID
		if m.Postback.MID == "" {
			ev.Key = digestKey("p", pageID, ev.PSID, fmt.Sprint(m.Timestamp), ev.Payload)
		}
	case m.Referral != nil:
		ev.Kind, ev.RefererSource = xerochat.EventReferral, refererSource(m.Referral)
		ev.Key = digestKey("r", pageID, ev.PSID, fmt.Sprint(m.Timestamp), m.Referral.Ref, m.Referral.Source)
	default:
		return ev, false
	}
	return ev, true
}

// refererSource is what subscriber_information shows as refferer_source:
// the referral's source (SHORTLINK, ADS, ...), with its ref when present.
func refererSource(r *referral) string {
	if r.Ref != "" {
		return r.Source + ":" + r.Ref
	}
	return r.Source
}

// digestKey identifies an event without a message id by what it is made of.
func digestKey(kind string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return kind + ":" + hex.EncodeToString(sum[:16])
}

func millis(ms int64) time.Time {
	if ms <= 0 {
		return time.Now()
	}
	return time.UnixMilli(ms)
}

// clean removes what no database may store from the texts of an event: NUL
// characters (JSON can carry them as \u0000; PostgreSQL refuses them).
// Invalid UTF-8 needs nothing: the JSON decoder already replaced it.
func clean(ev xerochat.Event) xerochat.Event {
	for _, s := range []*string{&ev.PSID, &ev.PageID, &ev.Text, &ev.QuickReplyPayload, &ev.Payload,
		&ev.RefererSource, &ev.LabelID, &ev.LabelName} {
		*s = strings.ReplaceAll(*s, "\x00", "")
	}
	return ev
}
