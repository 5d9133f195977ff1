package fakegraph

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// maxLimit is the largest page a listing returns whatever limit asks.
const maxLimit = 100

// newLabel runs with s.mu held. Ids are long decimal numbers like
// Facebook's, never reused, and names are not deduplicated.
func (s *Server) newLabel(pg *page, name string) *label {
	s.lastID++
	l := &label{id: strconv.FormatInt(s.lastID, 10), name: name, page: pg, users: map[string]bool{}}
	s.labels[l.id] = l
	pg.labels = append(pg.labels, l)
	return l
}

// ownPage resolves id ("me" or the page id) to the token's page.
func ownPage(rq *request, id string) (*page, *FBError) {
	if id == "me" || id == rq.page.id {
		return rq.page, nil
	}
	return nil, unsupported(rq.method, id)
}

// ownLabel finds a label of the token's page; another page's label is as
// unknown as a label that does not exist.
func (s *Server) ownLabel(rq *request, id string) (*label, *FBError) {
	l := s.labels[id]
	if l == nil || l.page != rq.page {
		return nil, unsupported(rq.method, id)
	}
	return l, nil
}

// createLabel is POST /{page}/custom_labels.
func (s *Server) createLabel(rq *request, id string) (any, *FBError) {
	pg, ferr := ownPage(rq, id)
	if ferr != nil {
		return nil, ferr
	}
	name := rq.params.Get("page_label_name")
	if name == "" {
		// Also the answer to the field "name", which Graph dropped in v12.
		return nil, paramError("The parameter page_label_name is required")
	}
	return map[string]string{"id": s.newLabel(pg, name).id}, nil
}

// assignLabel is POST /{label}/label with user=<PSID>.
func (s *Server) assignLabel(rq *request, id string) (any, *FBError) {
	l, psid, ferr := s.labelAndUser(rq, id)
	if ferr != nil {
		return nil, ferr
	}
	l.users[psid] = true
	return map[string]bool{"success": true}, nil
}

// removeLabel is DELETE /{label}/label?user=<PSID>; removing a label the
// person does not have succeeds, as on Facebook.
func (s *Server) removeLabel(rq *request, id string) (any, *FBError) {
	l, psid, ferr := s.labelAndUser(rq, id)
	if ferr != nil {
		return nil, ferr
	}
	delete(l.users, psid)
	return map[string]bool{"success": true}, nil
}

func (s *Server) labelAndUser(rq *request, id string) (*label, string, *FBError) {
	l, ferr := s.ownLabel(rq, id)
	if ferr != nil {
		return nil, "", ferr
	}
	psid := rq.params.Get("user")
	if psid == "" {
		return nil, "", paramError("The parameter user is required")
	}
	if l.page.users[psid] == nil {
		e := ErrInvalidPSID()
		return nil, "", &e
	}
	return l, psid, nil
}

// listLabels is GET /{page}/custom_labels and GET /{psid}/custom_labels.
func (s *Server) listLabels(rq *request, id string) (any, *FBError) {
	var list []*label
	switch {
	case id == "me" || id == rq.page.id:
		list = rq.page.labels
	case rq.page.users[id] != nil:
		for _, l := range rq.page.labels {
			if l.users[id] {
				list = append(list, l)
			}
		}
	default:
		return nil, unsupported(rq.method, id)
	}
	withName := false
	for _, f := range splitFields(rq.params.Get("fields")) {
		switch f {
		case "id":
		case "page_label_name":
			withName = true
		default:
			return nil, paramError("Tried accessing nonexisting field (" + f + ") on node type (PageUserMessageThreadLabel)")
		}
	}
	return s.pageOf(rq, list, withName)
}

// pageOf cuts one page out of list, with Facebook's cursor paging: cursors
// name the first and last item, and next, present while items remain, is an
// absolute link to the following page.
func (s *Server) pageOf(rq *request, list []*label, withName bool) (any, *FBError) {
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
		i := cursorIndex(list, after)
		if i < 0 {
			return nil, paramError("Invalid cursor")
		}
		start = i + 1
	}
	end := min(start+limit, len(list))
	data := []map[string]string{}
	for _, l := range list[start:end] {
		item := map[string]string{"id": l.id}
		if withName {
			item["page_label_name"] = l.name
		}
		data = append(data, item)
	}
	out := map[string]any{"data": data}
	if len(data) == 0 {
		return out, nil
	}
	paging := map[string]any{"cursors": map[string]string{
		"before": cursor(list[start].id), "after": cursor(list[end-1].id),
	}}
	if end < len(list) {
		q := url.Values{}
		for k, v := range rq.query {
			q[k] = v
		}
		q.Del("before")
		q.Set("after", cursor(list[end-1].id))
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

func cursorIndex(list []*label, c string) int {
	id, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return -1
	}
	for i, l := range list {
		if l.id == string(id) {
			return i
		}
	}
	return -1
}

func splitFields(v string) []string {
	var out []string
	for f := range strings.SplitSeq(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
