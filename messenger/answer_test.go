package messenger

import (
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
)

func TestValidate(t *testing.T) {
	colours := []string{"Red", "Blue", "Dark Green"}
	tests := []struct {
		name       string
		typ        string
		options    []string
		text, qr   string
		want       string
		wantAccept bool
	}{
		// text (also the type of a question without one)
		{"text", xerochat.QuestionText, nil, "hello", "", "hello", true},
		{"text is trimmed", xerochat.QuestionText, nil, "  hello there \n", "", "hello there", true},
		{"text keeps non-ASCII", xerochat.QuestionText, nil, "Zoë 😀", "", "Zoë 😀", true},
		{"empty text", xerochat.QuestionText, nil, "", "", "", false},
		{"blank text", xerochat.QuestionText, nil, " \t\n ", "", "", false},
		{"untyped question reads text", "", nil, "anything", "", "anything", true},
		{"untyped question refuses blank", "", nil, "  ", "", "", false},

		// email
		{"email", xerochat.QuestionEmail, nil, "zoe@example.com", "", "zoe@example.com", true},
		{"email is trimmed", xerochat.QuestionEmail, nil, " zoe@example.com ", "", "zoe@example.com", true},
		{"email keeps its case", xerochat.QuestionEmail, nil, "Zoe@Example.COM", "", "Zoe@Example.COM", true},
		{"email without at", xerochat.QuestionEmail, nil, "zoe.example.com", "", "", false},
		{"email without domain dot", xerochat.QuestionEmail, nil, "zoe@localhost", "", "", false},
		{"email with a name part", xerochat.QuestionEmail, nil, "Zoe <zoe@example.com>", "", "", false},
		{"email with space", xerochat.QuestionEmail, nil, "zoe @example.com", "", "", false},
		{"email empty", xerochat.QuestionEmail, nil, "", "", "", false},
		{"email too long", xerochat.QuestionEmail, nil, strings.Repeat("a", 250) + "@example.com", "", "", false},

		// phone
		{"phone international", xerochat.QuestionPhone, nil, "+1 (555) 123-4567", "", "+1 (555) 123-4567", true},
		{"phone digits", xerochat.QuestionPhone, nil, "01234567891", "", "01234567891", true},
		{"phone dots", xerochat.QuestionPhone, nil, "030.123.456", "", "030.123.456", true},
		{"phone is trimmed", xerochat.QuestionPhone, nil, "  0123456789 ", "", "0123456789", true},
		{"phone 6 digits", xerochat.QuestionPhone, nil, "123456", "", "123456", true},
		{"phone 5 digits", xerochat.QuestionPhone, nil, "12345", "", "", false},
		{"phone 15 digits", xerochat.QuestionPhone, nil, "+123456789012345", "", "+123456789012345", true},
		{"phone 16 digits", xerochat.QuestionPhone, nil, "1234567890123456", "", "", false},
		{"phone plus inside", xerochat.QuestionPhone, nil, "12+3456789", "", "", false},
		{"phone letters", xerochat.QuestionPhone, nil, "0800-FLOWERS", "", "", false},
		{"phone words", xerochat.QuestionPhone, nil, "call me", "", "", false},
		{"phone empty", xerochat.QuestionPhone, nil, "", "", "", false},
		{"phone separators only", xerochat.QuestionPhone, nil, "+ ( ) - .", "", "", false},

		// number
		{"number integer", xerochat.QuestionNumber, nil, "42", "", "42", true},
		{"number negative decimal", xerochat.QuestionNumber, nil, "-3.5", "", "-3.5", true},
		{"number decimal comma kept as written", xerochat.QuestionNumber, nil, "3,5", "", "3,5", true},
		{"number is trimmed", xerochat.QuestionNumber, nil, " 7 ", "", "7", true},
		{"number zero", xerochat.QuestionNumber, nil, "0", "", "0", true},
		{"number word", xerochat.QuestionNumber, nil, "seven", "", "", false},
		{"number with unit", xerochat.QuestionNumber, nil, "7 kg", "", "", false},
		{"number NaN", xerochat.QuestionNumber, nil, "NaN", "", "", false},
		{"number infinity", xerochat.QuestionNumber, nil, "Inf", "", "", false},
		{"number infinity word", xerochat.QuestionNumber, nil, "-infinity", "", "", false},
		{"number hexadecimal", xerochat.QuestionNumber, nil, "0x1F", "", "", false},
		{"number hexadecimal float", xerochat.QuestionNumber, nil, "0x1p4", "", "", false},
		{"number underscores", xerochat.QuestionNumber, nil, "1_000", "", "", false},
		{"number two commas", xerochat.QuestionNumber, nil, "1,000,000", "", "", false},
		{"number empty", xerochat.QuestionNumber, nil, "", "", "", false},

		// date: stored as YYYY-MM-DD; ambiguous numeric orders refused
		{"date ISO", xerochat.QuestionDate, nil, "2024-12-31", "", "2024-12-31", true},
		{"date slashes", xerochat.QuestionDate, nil, "2024/12/31", "", "2024-12-31", true},
		{"date dots", xerochat.QuestionDate, nil, "2024.12.31", "", "2024-12-31", true},
		{"date day month-name year", xerochat.QuestionDate, nil, "31 December 2024", "", "2024-12-31", true},
		{"date month-name day, year", xerochat.QuestionDate, nil, "December 31, 2024", "", "2024-12-31", true},
		{"date short month", xerochat.QuestionDate, nil, "Dec 31, 2024", "", "2024-12-31", true},
		{"date short month, day first", xerochat.QuestionDate, nil, "1 Feb 2024", "", "2024-02-01", true},
		{"date is trimmed", xerochat.QuestionDate, nil, " 2024-02-29 ", "", "2024-02-29", true},
		{"date leap day of a common year", xerochat.QuestionDate, nil, "2023-02-29", "", "", false},
		{"date month 13", xerochat.QuestionDate, nil, "2024-13-01", "", "", false},
		{"date day first numeric is ambiguous", xerochat.QuestionDate, nil, "31/12/2024", "", "", false},
		{"date month first numeric is ambiguous", xerochat.QuestionDate, nil, "12/31/2024", "", "", false},
		{"date words", xerochat.QuestionDate, nil, "tomorrow", "", "", false},
		{"date with time", xerochat.QuestionDate, nil, "2024-12-31 10:00", "", "", false},
		{"date empty", xerochat.QuestionDate, nil, "", "", "", false},

		// choice: the tapped quick reply, or text naming an option
		{"choice quick reply", xerochat.QuestionChoice, colours, "Blue", "Blue", "Blue", true},
		{"choice quick reply with a cut title", xerochat.QuestionChoice, colours, "Dark Gr", "Dark Green", "Dark Green", true},
		{"choice typed, other case", xerochat.QuestionChoice, colours, "  dark GREEN ", "", "Dark Green", true},
		{"choice typed exactly", xerochat.QuestionChoice, colours, "Red", "", "Red", true},
		{"choice not an option", xerochat.QuestionChoice, colours, "Purple", "", "", false},
		{"choice part of an option", xerochat.QuestionChoice, colours, "Green", "", "", false},
		{"choice stale quick reply", xerochat.QuestionChoice, colours, "Yes", "YES", "", false},
		{"choice payload is matched exactly", xerochat.QuestionChoice, colours, "", "blue", "", false},
		{"choice empty", xerochat.QuestionChoice, colours, "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &xerochat.FlowQuestion{Question: "Q?", Type: tt.typ, Options: tt.options}
			got, ok := Validate(q, tt.text, tt.qr)
			if ok != tt.wantAccept || (ok && got != tt.want) {
				t.Fatalf("Validate(%s, %q, %q) = %q, %t; want %q, %t", tt.typ, tt.text, tt.qr, got, ok, tt.want, tt.wantAccept)
			}
		})
	}
}

func TestDefaultReprompt(t *testing.T) {
	tests := []struct{ typ, want string }{
		{xerochat.QuestionText, "Your name?"},
		{xerochat.QuestionEmail, "Please answer with an e-mail address. Your name?"},
		{xerochat.QuestionPhone, "Please answer with a phone number. Your name?"},
		{xerochat.QuestionNumber, "Please answer with a number. Your name?"},
		{xerochat.QuestionDate, "Please answer with a date such as 2024-12-31. Your name?"},
		{xerochat.QuestionChoice, "Please answer with one of the options. Your name?"},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			if got := defaultReprompt(&xerochat.FlowQuestion{Question: "Your name?", Type: tt.typ}); got != tt.want {
				t.Fatalf("defaultReprompt = %q, want %q", got, tt.want)
			}
		})
	}
}
