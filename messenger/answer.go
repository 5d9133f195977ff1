package messenger

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xerochat/xerochat"
)

// dateLayouts are the ways a person may write a date; the answer is stored
// as YYYY-MM-DD. Day-first and month-first numeric forms are ambiguous, so
// only the ISO order and forms with the month's name are taken.
var dateLayouts = []string{
	"2006-01-02", "2006/01/02", "2006.01.02",
	"2 January 2006", "January 2, 2006", "January 2 2006", "2 Jan 2006", "Jan 2, 2006", "Jan 2 2006",
}

// Validate checks a reply to q and returns the answer to store. A choice
// is taken from the tapped quick reply, or from text naming an option
// (ignoring case); other types are read from the text.
func Validate(q *xerochat.FlowQuestion, text, quickReply string) (string, bool) {
	text = strings.TrimSpace(text)
	switch q.Type {
	case xerochat.QuestionChoice:
		for _, o := range q.Options {
			if quickReply != "" && quickReply == o || strings.EqualFold(text, o) {
				return o, true
			}
		}
		return "", false
	case xerochat.QuestionEmail:
		return text, xerochat.ValidEmail(text)
	case xerochat.QuestionPhone:
		return validPhone(text)
	case xerochat.QuestionNumber:
		f, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", "."), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(text, "xXpP_") {
			return "", false
		}
		return text, true
	case xerochat.QuestionDate:
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, text); err == nil {
				return t.Format(xerochat.DateLayout), true
			}
		}
		return "", false
	default:
		return text, text != ""
	}
}

// validPhone accepts digits with the usual separators, an optional leading
// +, and 6 to 15 digits (E.164's longest).
func validPhone(s string) (string, bool) {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')', r == '.':
		default:
			return "", false
		}
	}
	return s, digits >= 6 && digits <= 15
}
