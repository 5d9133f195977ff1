package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"syscall"

	"github.com/xerochat/xerochat"
)

type flowCampaignRow struct {
	ID       string `json:"id"`
	FlowName string `json:"flow_name"`
}

func (s *Server) getFlowCampaigns(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	campaigns, err := s.App.Flows.ListFlowCampaigns(c.ctx, c.user.ID)
	if err != nil {
		return nil, err
	}
	rows := make([]flowCampaignRow, 0, len(campaigns))
	for _, fc := range campaigns {
		rows = append(rows, flowCampaignRow{ID: itoa(fc.ID), FlowName: fc.Name})
	}
	return rows, nil
}

// findCampaign reads flow_campaign_id and loads the caller's campaign.
func (s *Server) findCampaign(c *call) (*xerochat.FlowCampaign, error) {
	id, err := c.idParam("flow_campaign_id", xerochat.MsgFlowIDRequired, xerochat.MsgFlowNotFound)
	if err != nil {
		return nil, err
	}
	return s.App.Flows.FindFlowCampaign(c.ctx, c.user.ID, id)
}

func (s *Server) getFlowCampaignInfo(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	fc, err := s.findCampaign(c)
	if err != nil {
		return nil, err
	}
	questions := make([]string, 0, len(fc.Questions))
	for _, q := range fc.Questions {
		questions = append(questions, q.Question)
	}
	return struct {
		ID        string   `json:"id"`
		FlowName  string   `json:"flow_name"`
		Questions []string `json:"questions"`
	}{itoa(fc.ID), fc.Name, questions}, nil
}

type answerRow struct {
	QuestionID string `json:"question_id"`
	Question   string `json:"question"`
	Answer     string `json:"answer"`
}

func (s *Server) getSingleSubscriberFlowInfo(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	if !c.has("subscriber_id") {
		return nil, invalid(xerochat.MsgFlowSubscriberIDRequired)
	}
	fc, err := s.findCampaign(c)
	if err != nil {
		return nil, err
	}
	answers, err := s.App.Flows.SubscriberAnswers(c.ctx, fc.ID, c.param("subscriber_id"))
	if err != nil {
		return nil, err
	}
	rows := make([]answerRow, 0, len(answers))
	for _, a := range answers {
		rows = append(rows, answerRow{QuestionID: itoa(a.QuestionID), Question: a.Question, Answer: a.Answer})
	}
	return struct {
		ID       string      `json:"id"`
		FlowName string      `json:"flow_name"`
		Data     []answerRow `json:"data"`
	}{itoa(fc.ID), fc.Name, rows}, nil
}

// allAnswerRow is an item of get_all_subscriber_flow_info: question_id is the
// documented key, id the one the original sent; both hold the same value.
type allAnswerRow struct {
	QuestionID string `json:"question_id"`
	ID         string `json:"id"`
	Question   string `json:"question"`
	Answer     string `json:"answer"`
}

// getAllSubscriberFlowInfo writes its answer as the rows arrive from the
// database, so a campaign with a million answers costs no more memory than
// one with ten. An error after the first byte can only cut the answer short
// (the JSON is then incomplete, which a client detects); it is logged.
func (s *Server) getAllSubscriberFlowInfo(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	fc, err := s.findCampaign(c)
	if err != nil {
		return nil, err
	}
	if !s.streams.acquire(c.user.ID) {
		return nil, tooMany(msgStreamBusy)
	}
	defer s.streams.release(c.user.ID)
	// A large campaign can take longer to send than the server's write
	// timeout allows a normal answer, so the deadline moves with each
	// write: a client that reads goes on, one that stopped is cut off
	// after StreamIdleTimeout, freeing the connection the stream holds.
	rc := http.NewResponseController(c.w)
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.Header().Set("X-Content-Type-Options", "nosniff")
	c.w.WriteHeader(http.StatusOK)
	w := bufio.NewWriterSize(idleWriter{w: c.w, rc: rc, idle: s.StreamIdleTimeout}, 32<<10)
	// Values are encoded like writeJSON does (no HTML escaping), through
	// one reused buffer, without the newline Encode appends.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	put := func(v any) error {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return err
	}
	w.WriteString(`{"id":`)
	put(itoa(fc.ID))
	w.WriteString(`,"flow_name":`)
	put(fc.Name)
	w.WriteString(`,"data":{`)
	current, started := "", false
	// Every item of a question starts alike, up to its answer: encoded
	// once per question, the stream encodes only PSIDs and answers.
	heads := map[int64][]byte{}
	head := func(a xerochat.FlowAnswer) ([]byte, error) {
		if h, ok := heads[a.QuestionID]; ok {
			return h, nil
		}
		qid := itoa(a.QuestionID)
		buf.Reset()
		if err := enc.Encode(allAnswerRow{QuestionID: qid, ID: qid, Question: a.Question}); err != nil {
			return nil, err
		}
		// {"question_id":...,"answer":""}\n without its last four bytes
		h := bytes.Clone(buf.Bytes()[:buf.Len()-4])
		heads[a.QuestionID] = h
		return h, nil
	}
	err = s.pipeAnswers(c.ctx, fc, func(a xerochat.FlowAnswer) error {
		if started && a.PSID == current {
			w.WriteByte(',')
		} else {
			if started {
				w.WriteString("],")
			}
			if err := put(&a.PSID); err != nil {
				return err
			}
			w.WriteString(":[")
			current, started = a.PSID, true
		}
		h, err := head(a)
		if err != nil {
			return err
		}
		w.Write(h)
		if err := put(&a.Answer); err != nil {
			return err
		}
		return w.WriteByte('}')
	})
	if err != nil {
		if c.ctx.Err() != nil || isWriteFailure(err) {
			s.Logger.InfoContext(c.ctx, "api: client went away during flow answers", "campaign", fc.ID, "err", err)
		} else {
			s.Logger.ErrorContext(c.ctx, "api: streaming flow answers", "campaign", fc.ID, "err", err)
		}
		w.Flush()
		return streamed{}, nil
	}
	if started {
		w.WriteString("]")
	}
	w.WriteString("}}\n")
	if err := w.Flush(); err != nil {
		s.Logger.InfoContext(c.ctx, "api: client went away during flow answers", "campaign", fc.ID, "err", err)
	}
	return streamed{}, nil
}

// isWriteFailure tells a failed write to the client (it went away, or
// stopped reading past the deadline) from a failure of the database.
func isWriteFailure(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, http.ErrHandlerTimeout)
}
