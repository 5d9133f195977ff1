package fakegraph

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
)

// maxLimit is the largest page a listing returns whatever limit asks.
const maxLimit = 100

// pageOf cuts one page out of a listing of len(ids) items, with Facebook's
// cursor paging: cursors name the first and last item, and next, present
// while items remain, is an absolute link to the following page. item
// renders the i-th item; it runs with s.mu held.
func (s *Server) pageOf(rq *request, ids []string, item func(i int) any) (any, *FBError) {
	limit := s.pageSize
	if v := rq.params.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, paramError("Param limit must be a non-negative integer")
		}
		limit = min(max(n, 1), maxLimit)
	}
	start := 0
	if after := rq.params.Get("after"); after != "" {
		i := cursorIndex(ids, after)
		if i < 0 {
			return nil, paramError("Invalid cursor")
		}
		start = i + 1
	}
	end := min(start+limit, len(ids))
	data := []any{}
	for i := start; i < end; i++ {
		data = append(data, item(i))
	}
	out := map[string]any{"data": data}
	if len(data) == 0 {
		return out, nil
	}
	paging := map[string]any{"cursors": map[string]string{
		"before": cursor(ids[start]), "after": cursor(ids[end-1]),
	}}
	if end < len(ids) {
		q := url.Values{}
		for k, v := range rq.query {
			q[k] = v
		}
		q.Del("before")
		q.Set("after", cursor(ids[end-1]))
		q.Set("limit", strconv.Itoa(limit))
		prefix := s.ts.URL
		if rq.version != "" {
			prefix += "/" + rq.version
		}
		paging["next"] = prefix + rq.path + "?" + q.Encode()
	}
	out["paging"] = paging
	return out, nil
}

func cursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func cursorIndex(ids []string, c string) int {
	id, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return -1
	}
	return slices.Index(ids, string(id))
}
