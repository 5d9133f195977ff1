package api

import (
	"context"

	"github.com/xerochat/xerochat"
)

// answerBatch is how many answers the reader hands the writer at once.
const answerBatch = 256

// pipeAnswers reads a campaign's answers on a goroutine of its own and
// hands them, in order, to fn on the caller's: reading rows from the
// database and encoding them to the client take about as long as each
// other, and so they take two cores instead of one. At most a few batches
// wait between the two, so memory stays flat. When fn fails, the reading
// stops. It returns fn's error, or else the reader's.
func (s *Server) pipeAnswers(ctx context.Context, fc *xerochat.FlowCampaign, fn func(xerochat.FlowAnswer) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []xerochat.FlowAnswer, 2)
	read := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := make([]xerochat.FlowAnswer, 0, answerBatch)
		send := func() error {
			select {
			case batches <- batch:
				batch = make([]xerochat.FlowAnswer, 0, answerBatch)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := s.App.Flows.EachAnswer(ctx, fc, func(a xerochat.FlowAnswer) error {
			if batch = append(batch, a); len(batch) < answerBatch {
				return nil
			}
			return send()
		})
		if err == nil && len(batch) > 0 {
			err = send()
		}
		read <- err
	}()
	var werr error
	for batch := range batches {
		for i := 0; i < len(batch) && werr == nil; i++ {
			if werr = fn(batch[i]); werr != nil {
				cancel() // the reader stops; the loop drains what it sent
			}
		}
	}
	if rerr := <-read; werr == nil {
		return rerr
	}
	return werr
}
