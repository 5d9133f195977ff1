package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/xerochat/xerochat"
)

// MaxBodyBytes is the largest request body accepted; larger ones get 413.
const MaxBodyBytes = 1 << 20

// readParams gathers the parameters of the query string and the body (the
// body wins) into c.params. A non-zero status means the body cannot be read
// at all (so neither can the key) and must be answered with msg at once. A
// parameter the endpoint reads that breaks the encoding or length rules is
// kept in c.badParam and reported after the key check, which comes first
// on every endpoint.
func (c *call) readParams(names []string) (status int, msg string) {
	c.params = map[string]string{}
	query, _ := url.ParseQuery(c.r.URL.RawQuery) // like PHP, keep what parses
	addValues(c.params, query)
	if status, msg := c.readBody(names); status != 0 {
		return status, msg
	}
	for _, name := range names {
		if err := checkParam(name, c.params[name]); err != nil {
			c.badParam = err
			break
		}
	}
	return 0, ""
}

// checkParam applies the encoding and length rules every door shares
// (xerochat.CheckField). The key is not checked here: any bad key is
// simply an invalid key.
func checkParam(name, v string) error { return xerochat.CheckField(name, v, 0) }

// addValues copies values into params, trimmed. A repeated name keeps its
// last value, as PHP (and so the original server) does.
func addValues(params map[string]string, values url.Values) {
	for name, vs := range values {
		if len(vs) > 0 {
			params[name] = strings.TrimSpace(vs[len(vs)-1])
		}
	}
}

func (c *call) readBody(names []string) (status int, msg string) {
	r := c.r
	if r.Body == nil || r.Body == http.NoBody {
		return 0, ""
	}
	r.Body = http.MaxBytesReader(c.w, r.Body, MaxBodyBytes)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(MaxBodyBytes); err != nil {
			return bodyError(err, "The multipart/form-data body is malformed")
		}
		addValues(c.params, r.MultipartForm.Value)
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return bodyError(err, "The request body could not be read")
		}
		return c.readJSONBytes(body, names)
	default:
		// Form bodies, and bodies sent without a type as curl -d does.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return bodyError(err, "The request body could not be read")
		}
		if mediaType == "" && len(bytes.TrimSpace(body)) > 0 && body[0] == '{' {
			return c.readJSONBytes(body, names)
		}
		values, err := url.ParseQuery(string(body))
		if err != nil && mediaType == "application/x-www-form-urlencoded" {
			return http.StatusOK, "The form body is malformed"
		}
		addValues(c.params, values)
	}
	return 0, ""
}

func bodyError(err error, msg string) (int, string) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes", MaxBodyBytes)
	}
	return http.StatusOK, msg
}

// readJSONBytes takes a JSON object's members as parameters. Numbers keep
// their text, booleans become 1/0, arrays of scalars become comma-separated
// lists (label_ids), null is absent. Objects are refused only as values of
// parameters the endpoint reads; under other names they are ignored, like
// any unknown parameter.
func (c *call) readJSONBytes(body []byte, names []string) (int, string) {
	const malformed = "The JSON body is malformed: send one JSON object"
	if len(bytes.TrimSpace(body)) == 0 {
		return 0, ""
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || dec.More() {
		return http.StatusOK, malformed
	}
	for name, v := range obj {
		if v == nil {
			continue
		}
		s, ok := jsonValue(v)
		if !ok && (name == "api_key" || slices.Contains(names, name)) {
			return http.StatusOK, fmt.Sprintf("The JSON body is malformed: %s must be a string, a number or a list", name)
		}
		if !ok {
			continue
		}
		c.params[name] = strings.TrimSpace(s)
	}
	return 0, ""
}

// jsonValue turns a scalar, or an array of scalars, into parameter text.
func jsonValue(v any) (string, bool) {
	arr, isArr := v.([]any)
	if !isArr {
		return jsonScalar(v)
	}
	parts := make([]string, 0, len(arr))
	for _, item := range arr {
		p, ok := jsonScalar(item)
		if !ok {
			return "", false
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ","), true
}

func jsonScalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "1", true
		}
		return "0", true
	}
	return "", false
}

// parseID reads a record id: decimal digits only, positive, within int64.
func parseID(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}
