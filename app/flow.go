package app

import (
	"context"

	"github.com/xerochat/xerochat"
)

// FlowBuilder saves flow campaigns made in a form, by the rules of the flow
// file (xerochat.FlowFile.Campaign) that `xerochat flow create` obeys.
type FlowBuilder struct {
	App   *App
	Store xerochat.FlowEditService
}

// Save validates ff and stores it on the user's page: a new campaign when
// id is 0, else the user's campaign id, where questionIDs[i] (0 for a new
// question) says which stored question the i-th one is, so that a question
// that stays keeps its id and its answers.
func (b *FlowBuilder) Save(ctx context.Context, userID int64, pageID string, id int64, ff xerochat.FlowFile, questionIDs []int64) (int64, error) {
	page, err := b.App.Pages.FindUserPage(ctx, userID, pageID)
	if err != nil {
		return 0, err
	}
	if id != 0 {
		cur, err := b.App.Flows.FindFlowCampaign(ctx, userID, id)
		if err != nil {
			return 0, err
		}
		if cur.PageRef != page.ID {
			return 0, &xerochat.Error{Code: xerochat.ENOTFOUND, Message: xerochat.MsgFlowNotFound}
		}
	}
	fc, err := ff.Campaign(userID, page.ID)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		return b.App.Flows.CreateFlowCampaign(ctx, fc)
	}
	fc.ID = id
	for i, q := range fc.Questions {
		if i < len(questionIDs) {
			q.ID = questionIDs[i]
		}
	}
	return id, b.Store.UpdateFlowCampaign(ctx, fc)
}
