package xerochat

import (
	"strings"
	"unicode/utf8"
)

// Limits of the values a client sends, the same through every door (the
// API's parameters, the web app's form fields), by the field's name.
var fieldLimits = map[string]int{
	"label_ids": 8192,
	"address":   1000,
	"password":  MaxPasswordBytes, // bytes: bcrypt reads no further
}

// DefaultFieldLimit bounds the fields fieldLimits does not name: enough for
// names, e-mails and ids.
const DefaultFieldLimit = 255

// CheckField applies the encoding and length rules to one value: UTF-8
// without NUL characters, and at most the field's limit (DefaultFieldLimit
// unless fieldLimits names it; fallback, when positive, for a field the
// limits do not name). The message names the field.
func CheckField(name, v string, fallback int) error {
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return Errorf(EINVALID, "The %s field must be UTF-8 text without NUL characters", name)
	}
	limit, named := fieldLimits[name]
	switch {
	case !named && fallback > 0:
		limit = fallback
	case !named:
		limit = DefaultFieldLimit
	}
	if name == "password" && len(v) > limit {
		return Errorf(EINVALID, "The %s field is too long (at most %d bytes)", name, limit)
	}
	if utf8.RuneCountInString(v) > limit {
		return Errorf(EINVALID, "The %s field is too long (at most %d characters)", name, limit)
	}
	return nil
}
