package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/xerochat/xerochat"
)

// chartDays is how many days the overview's charts cover.
const chartDays = 30

type overviewData struct {
	Counts      xerochat.Counts
	Subscribers chart
	Answers     chart
}

// overview shows the member's counts and two charts drawn on the server.
func (s *Server) overview(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	counts, err := s.Reads.Counts(ctx, v.User.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	days := lastDays(time.Now().In(s.Location), chartDays)
	subs, err := s.dailySeries(ctx, days, v.User.ID, s.Reads.NewSubscribers)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	answers, err := s.dailySeries(ctx, days, v.User.ID, s.Reads.Answers)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Title, v.Nav = "Overview", "overview"
	v.Data = overviewData{Counts: counts,
		Subscribers: drawChart("subscribers-chart", "New subscribers per day", days, subs),
		Answers:     drawChart("answers-chart", "Answers per day", days, answers)}
	s.render(w, r, "overview", v)
}

// lastDays returns the starts of the n local days ending with today's.
func lastDays(now time.Time, n int) []time.Time {
	y, m, d := now.Date()
	out := make([]time.Time, n)
	for i := range n {
		out[i] = time.Date(y, m, d-(n-1-i), 0, 0, 0, 0, now.Location())
	}
	return out
}

// dailySeries sums the store's 15-minute buckets into the local days.
func (s *Server) dailySeries(ctx context.Context, days []time.Time, userID int64,
	read func(context.Context, int64, time.Time) ([]xerochat.TimeBucket, error)) ([]int64, error) {
	buckets, err := read(ctx, userID, days[0])
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(days))
	for _, b := range buckets {
		for i := len(days) - 1; i >= 0; i-- {
			if !b.Start.Before(days[i]) {
				out[i] += b.N
				break
			}
		}
	}
	return out, nil
}

// chart is a bar chart ready for the SVG in overview.html. Coordinates are
// in the SVG's own units (viewBox 0 0 chartW chartH).
type chart struct {
	ID, Title string
	Total     int64
	Max       int64
	Bars      []chartBar
	W, H      int
	// Ticks label the first, middle and last days under the axis.
	Ticks []chartTick
}

type chartBar struct {
	X, Y, W, H int
	Label      string
}

type chartTick struct {
	X    int
	Text string
}

const (
	chartW, chartH = 310, 140
	chartTop       = 10
	chartBase      = 120
	chartLeft      = 10
)

// drawChart lays out one bar per day, the highest bar filling the height.
func drawChart(id, title string, days []time.Time, counts []int64) chart {
	c := chart{ID: id, Title: title, W: chartW, H: chartH}
	for _, n := range counts {
		c.Total += n
		c.Max = max(c.Max, n)
	}
	slot := (chartW - 2*chartLeft) / len(days)
	for i, n := range counts {
		h := 0
		if c.Max > 0 {
			h = int(n * (chartBase - chartTop) / c.Max)
		}
		if n > 0 && h == 0 {
			h = 1
		}
		x := chartLeft + i*slot
		c.Bars = append(c.Bars, chartBar{X: x + 1, Y: chartBase - h, W: slot - 2, H: h,
			Label: days[i].Format("Jan 2") + ": " + strconv.FormatInt(n, 10)})
	}
	for _, i := range []int{0, len(days) / 2, len(days) - 1} {
		c.Ticks = append(c.Ticks, chartTick{X: chartLeft + i*slot + slot/2, Text: days[i].Format("Jan 2")})
	}
	return c
}
