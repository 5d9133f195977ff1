package metrics

import (
	"context"

	"github.com/xerochat/xerochat"
)

// Facebook counts the calls of the Facebook it wraps by method and outcome.
func (m *Metrics) Facebook(next xerochat.Facebook) xerochat.Facebook {
	return &facebook{next: next, calls: m}
}

type facebook struct {
	next  xerochat.Facebook
	calls *Metrics
}

func (f *facebook) count(method string, err error) {
	outcome := "ok"
	if err != nil {
		if outcome = xerochat.FacebookErrorKind(err); outcome == "" {
			outcome = "error"
		}
	}
	f.calls.facebook.WithLabelValues(method, outcome).Inc()
}

func (f *facebook) SendMessage(ctx context.Context, pageToken, psid string, m xerochat.Outgoing) (string, error) {
	id, err := f.next.SendMessage(ctx, pageToken, psid, m)
	f.count("send_message", err)
	return id, err
}

func (f *facebook) UserProfile(ctx context.Context, pageToken, psid string) (*xerochat.Profile, error) {
	p, err := f.next.UserProfile(ctx, pageToken, psid)
	f.count("user_profile", err)
	return p, err
}

func (f *facebook) PageLabels(ctx context.Context, pageToken, pageID string) ([]xerochat.FacebookLabel, error) {
	l, err := f.next.PageLabels(ctx, pageToken, pageID)
	f.count("page_labels", err)
	return l, err
}

func (f *facebook) CreateLabel(ctx context.Context, pageToken, pageID, name string) (string, error) {
	id, err := f.next.CreateLabel(ctx, pageToken, pageID, name)
	f.count("create_label", err)
	return id, err
}

func (f *facebook) AssignLabel(ctx context.Context, pageToken, labelID, psid string) error {
	err := f.next.AssignLabel(ctx, pageToken, labelID, psid)
	f.count("assign_label", err)
	return err
}

func (f *facebook) RemoveLabel(ctx context.Context, pageToken, labelID, psid string) error {
	err := f.next.RemoveLabel(ctx, pageToken, labelID, psid)
	f.count("remove_label", err)
	return err
}

func (f *facebook) ExchangeCode(ctx context.Context, code, redirectURI string) (string, error) {
	t, err := f.next.ExchangeCode(ctx, code, redirectURI)
	f.count("exchange_code", err)
	return t, err
}

func (f *facebook) LongLivedToken(ctx context.Context, userToken string) (string, error) {
	t, err := f.next.LongLivedToken(ctx, userToken)
	f.count("long_lived_token", err)
	return t, err
}

func (f *facebook) Permissions(ctx context.Context, userToken string) ([]string, error) {
	p, err := f.next.Permissions(ctx, userToken)
	f.count("permissions", err)
	return p, err
}

func (f *facebook) UserPages(ctx context.Context, userToken string) ([]xerochat.FacebookPage, error) {
	p, err := f.next.UserPages(ctx, userToken)
	f.count("user_pages", err)
	return p, err
}

func (f *facebook) Me(ctx context.Context, token string) (string, string, error) {
	id, name, err := f.next.Me(ctx, token)
	f.count("me", err)
	return id, name, err
}

func (f *facebook) SubscribeApp(ctx context.Context, pageToken, pageID string, fields []string) error {
	err := f.next.SubscribeApp(ctx, pageToken, pageID, fields)
	f.count("subscribe_app", err)
	return err
}

func (f *facebook) UnsubscribeApp(ctx context.Context, pageToken, pageID string) error {
	err := f.next.UnsubscribeApp(ctx, pageToken, pageID)
	f.count("unsubscribe_app", err)
	return err
}
