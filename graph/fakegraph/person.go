package fakegraph

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Person plays someone writing to a page on Messenger: each action is sent
// to the server's webhook exactly as Facebook sends it — a signed JSON batch
// with non-ASCII characters escaped — and recorded with the fake, so that
// the 24-hour window and profiles behave as on Facebook.
type Person struct {
	PSID       string
	PageID     string
	WebhookURL string
	AppSecret  string // signs the body; "" sends no signature
	fake       *Server
	// LastBody is the last batch sent, for re-delivering it.
	LastBody []byte
}

var midSeq atomic.Int64

// Person returns someone who writes to the page; they are added to the
// fake's users of the page with the given profile.
func (s *Server) Person(pageID, psid string, p Profile, webhookURL, appSecret string) *Person {
	s.AddUser(pageID, psid, p)
	return &Person{PSID: psid, PageID: pageID, WebhookURL: webhookURL, AppSecret: appSecret, fake: s}
}

// Say sends a text message and returns its mid.
func (p *Person) Say(text string) (string, error) {
	mid := newMID()
	return mid, p.sendEvent(map[string]any{"message": map[string]any{"mid": mid, "text": text}})
}

// Tap taps a quick reply: its title comes as the text, with its payload.
func (p *Person) Tap(title, payload string) (string, error) {
	mid := newMID()
	return mid, p.sendEvent(map[string]any{"message": map[string]any{"mid": mid, "text": title,
		"quick_reply": map[string]string{"payload": payload}}})
}

// Postback presses a button (such as Get Started) carrying payload; a
// non-empty refSource adds the referral that brought the person.
func (p *Person) Postback(title, payload, refSource, ref string) (string, error) {
	mid := newMID()
	pb := map[string]any{"mid": mid, "title": title, "payload": payload}
	if refSource != "" {
		pb["referral"] = map[string]string{"ref": ref, "source": refSource, "type": "OPEN_THREAD"}
	}
	return mid, p.sendEvent(map[string]any{"postback": pb})
}

// Refer sends a referral event, as when an existing thread is opened from
// an m.me link or an ad.
func (p *Person) Refer(source, ref string) error {
	return p.sendEvent(map[string]any{"referral": map[string]string{"ref": ref, "source": source, "type": "OPEN_THREAD"}})
}

// Label sends the inbox_labels change Facebook sends when the page puts a
// label on this person (added) or takes it off in its inbox.
func (p *Person) Label(labelID, name string, added bool) error {
	action := "remove"
	if added {
		action = "add"
	}
	body := map[string]any{"object": "page", "entry": []any{map[string]any{
		"id": p.PageID, "time": time.Now().UnixMilli(),
		"changes": []any{map[string]any{"field": "inbox_labels", "value": map[string]any{
			"action": action, "label": map[string]string{"id": labelID, "page_label_name": name},
			"user": map[string]string{"id": p.PSID}}}},
	}}}
	return p.deliver("inbox_labels", body)
}

// Sent is what the page sent this person, oldest first.
func (p *Person) Sent() []SentMessage { return p.fake.Sent(p.PSID) }

// Redeliver posts the last batch again, as Facebook does when it did not
// get a quick 200.
func (p *Person) Redeliver() error {
	_, err := p.PostRaw(p.LastBody, true)
	return err
}

func (p *Person) sendEvent(event map[string]any) error {
	now := time.Now()
	field := "messages"
	switch {
	case event["message"] != nil:
		p.fake.UserMessaged(p.PageID, p.PSID, now)
	case event["postback"] != nil:
		field = "messaging_postbacks"
	case event["referral"] != nil:
		field = "messaging_referrals"
	}
	event["sender"] = map[string]string{"id": p.PSID}
	event["recipient"] = map[string]string{"id": p.PageID}
	event["timestamp"] = now.UnixMilli()
	return p.deliver(field, map[string]any{"object": "page", "entry": []any{map[string]any{
		"id": p.PageID, "time": now.UnixMilli(), "messaging": []any{event}}}})
}

// ErrNotSubscribed is what a Person's action returns when RequireSubscription
// is on and Facebook would not deliver the event: the app is not
// subscribed to the page's webhook with the event's field.
var ErrNotSubscribed = errors.New("fakegraph: not delivered: the app is not subscribed to this page's webhook field")

// RequireSubscription makes Facebook deliver a Person's events only for
// pages the app subscribed to (subscribed_apps) with the event's field, as
// Facebook does; off by default, so that tests which do not play the page
// connection need not subscribe.
func (s *Server) RequireSubscription(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requireSub = on
}

// deliver posts the batch unless the page's subscription would stop it.
func (p *Person) deliver(field string, batch any) error {
	s := p.fake
	s.mu.Lock()
	pg := s.pages[p.PageID]
	blocked := s.requireSub && (pg == nil || !slices.Contains(pg.subscribed, field))
	s.mu.Unlock()
	if blocked {
		return ErrNotSubscribed
	}
	return p.post(batch)
}

func (p *Person) post(batch any) error {
	body, err := FacebookJSON(batch)
	if err != nil {
		return err
	}
	p.LastBody = body
	status, err := p.PostRaw(body, true)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("webhook answered %d", status)
	}
	return err
}

// PostRaw posts body to the webhook, signed when sign is true and the
// person has an app secret, and returns the HTTP status.
func (p *Person) PostRaw(body []byte, sign bool) (int, error) {
	req, err := http.NewRequest(http.MethodPost, p.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if sign && p.AppSecret != "" {
		req.Header.Set("X-Hub-Signature-256", Signature(p.AppSecret, body))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// Signature is the X-Hub-Signature-256 header Facebook sends for body.
func Signature(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// FacebookJSON encodes v as Facebook writes webhook bodies: every
// character beyond ASCII escaped as \uXXXX (surrogate pairs above U+FFFF).
func FacebookJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for len(raw) > 0 {
		r, size := utf8.DecodeRune(raw)
		switch {
		case r < 0x80:
			b.WriteByte(raw[0])
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		raw = raw[size:]
	}
	return []byte(b.String()), nil
}

func newMID() string {
	return fmt.Sprintf("m_%d_%d", time.Now().UnixNano(), midSeq.Add(1))
}
