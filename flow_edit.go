package xerochat

import "context"

// AnswerRow is one subscriber's answers to a campaign, for the answers
// table: question id → answer.
type AnswerRow struct {
	SubscriberID int64
	PSID         string
	Name         string
	Answers      map[int64]string
}

// FlowEditService keeps what the web app's flow builder and answers table
// need beyond FlowService.
type FlowEditService interface {
	// UpdateFlowCampaign replaces the user's campaign's name, triggers,
	// completion message and questions, in order. A question whose ID is
	// one of the campaign's keeps that id and its answers; one without is
	// new; the campaign's questions not given are removed with their
	// answers.
	UpdateFlowCampaign(ctx context.Context, fc *FlowCampaign) error
	// ListAnswerRows returns up to limit subscribers who answered the
	// user's campaign, by subscriber id after the id after, and whether
	// more follow.
	ListAnswerRows(ctx context.Context, userID, campaignID, after int64, limit int) ([]AnswerRow, bool, error)
}
