package xerochat

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Question types a flow may ask.
const (
	QuestionText   = "text"
	QuestionEmail  = "email"
	QuestionPhone  = "phone"
	QuestionNumber = "number"
	QuestionDate   = "date"
	QuestionChoice = "choice"
)

// FlowCampaign is a sequence of questions asked in Messenger on one page.
type FlowCampaign struct {
	ID        int64
	UserID    int64
	PageRef   int64
	Name      string
	CreatedAt time.Time
	Questions []*FlowQuestion
	// Triggers and the completion message are kept for the Messenger engine.
	Keywords          []string
	Payloads          []string
	CompletionMessage string
}

// Startable reports whether anything can start the campaign: a keyword or
// a payload. A campaign without either is stored, but never runs.
func (fc *FlowCampaign) Startable() bool { return len(fc.Keywords)+len(fc.Payloads) > 0 }

// FlowQuestion is one step of a flow campaign.
type FlowQuestion struct {
	ID       int64
	Position int
	Question string
	Type     string
	Options  []string // for QuestionChoice
	Reprompt string
}

// FlowAnswer is one stored answer, as the flow-info endpoints list them.
type FlowAnswer struct {
	PSID       string
	QuestionID int64
	Question   string
	Answer     string
}

// FlowService keeps flow campaigns and their answers.
type FlowService interface {
	CreateFlowCampaign(ctx context.Context, c *FlowCampaign) (int64, error)
	// ListFlowCampaigns returns the user's campaigns by id, without questions.
	ListFlowCampaigns(ctx context.Context, userID int64) ([]*FlowCampaign, error)
	// FindFlowCampaign returns the user's campaign with its questions in order.
	FindFlowCampaign(ctx context.Context, userID, id int64) (*FlowCampaign, error)
	// SaveAnswer stores a subscriber's answer, replacing an earlier one to the
	// same question.
	SaveAnswer(ctx context.Context, campaignID, questionID, subscriberID int64, answer string) error
	// SubscriberAnswers returns the answers of the subscriber with that PSID
	// on the campaign's page, in question order.
	SubscriberAnswers(ctx context.Context, campaignID int64, psid string) ([]FlowAnswer, error)
	// EachAnswer calls fn for every answer of the campaign (as found with
	// its questions), grouped by subscriber in order of their first answer,
	// then in question order. It streams: memory does not grow with the
	// number of answers. An answer to a question the campaign did not have
	// when found is left out, as if the stream had been read then.
	EachAnswer(ctx context.Context, fc *FlowCampaign, fn func(FlowAnswer) error) error
}

// Limits Facebook puts on quick replies, which choice questions use.
const (
	MaxQuickReplies    = 13
	MaxQuickReplyTitle = 20
)

// FlowFile is the JSON a flow campaign is written in:
//
//	{"flow_name": "Survey",
//	 "triggers": {"keywords": ["start survey"], "payloads": ["SURVEY"]},
//	 "questions": [{"question": "Your e-mail?", "type": "email", "reprompt": "That is no e-mail address."},
//	               {"question": "Colour?", "type": "choice", "options": ["Red", "Blue"]}],
//	 "completion_message": "Thanks!"}
//
// Only flow_name and questions (each with its text) are required; type
// defaults to text.
type FlowFile struct {
	FlowName string `json:"flow_name"`
	Triggers struct {
		Keywords []string `json:"keywords"`
		Payloads []string `json:"payloads"`
	} `json:"triggers"`
	Questions         []FlowFileQuestion `json:"questions"`
	CompletionMessage string             `json:"completion_message"`
}

// FlowFileQuestion is a question of a FlowFile.
type FlowFileQuestion struct {
	Question string   `json:"question"`
	Type     string   `json:"type"`
	Options  []string `json:"options"`
	Reprompt string   `json:"reprompt"`
}

// Campaign validates the file and returns the campaign it describes, for the
// given owner and page. Errors are EINVALID with a message naming the fault.
func (f *FlowFile) Campaign(userID, pageRef int64) (*FlowCampaign, error) {
	if strings.TrimSpace(f.FlowName) == "" {
		return nil, Errorf(EINVALID, "flow_name is required")
	}
	if len(f.Questions) == 0 {
		return nil, Errorf(EINVALID, "questions: at least one question is required")
	}
	fc := &FlowCampaign{UserID: userID, PageRef: pageRef, Name: strings.TrimSpace(f.FlowName),
		CompletionMessage: f.CompletionMessage}
	for _, k := range f.Triggers.Keywords {
		if k = strings.TrimSpace(k); k != "" {
			fc.Keywords = append(fc.Keywords, k)
		}
	}
	for _, p := range f.Triggers.Payloads {
		if p = strings.TrimSpace(p); p != "" {
			fc.Payloads = append(fc.Payloads, p)
		}
	}
	for i, q := range f.Questions {
		n := i + 1
		if strings.TrimSpace(q.Question) == "" {
			return nil, Errorf(EINVALID, "question %d: the question text is required", n)
		}
		if q.Type == "" {
			q.Type = QuestionText
		}
		switch q.Type {
		case QuestionText, QuestionEmail, QuestionPhone, QuestionNumber, QuestionDate:
			if len(q.Options) > 0 {
				return nil, Errorf(EINVALID, "question %d: options are only for type choice", n)
			}
		case QuestionChoice:
			if len(q.Options) == 0 {
				return nil, Errorf(EINVALID, "question %d: a choice question needs options", n)
			}
			if len(q.Options) > MaxQuickReplies {
				return nil, Errorf(EINVALID, "question %d: at most %d options (Facebook's quick-reply limit), got %d", n, MaxQuickReplies, len(q.Options))
			}
			for _, o := range q.Options {
				if strings.TrimSpace(o) == "" {
					return nil, Errorf(EINVALID, "question %d: an option is empty", n)
				}
				if utf8.RuneCountInString(o) > MaxQuickReplyTitle {
					return nil, Errorf(EINVALID, "question %d: option %q is longer than %d characters (Facebook's quick-reply title limit)", n, o, MaxQuickReplyTitle)
				}
			}
		default:
			return nil, Errorf(EINVALID, "question %d: unknown type %q (use text, email, phone, number, date or choice)", n, q.Type)
		}
		fc.Questions = append(fc.Questions, &FlowQuestion{Question: strings.TrimSpace(q.Question), Type: q.Type,
			Options: q.Options, Reprompt: q.Reprompt})
	}
	return fc, nil
}
