package fakegraph

import (
	"strconv"
	"strings"
)

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
	ids := make([]string, len(list))
	for i, l := range list {
		ids[i] = l.id
	}
	return s.pageOf(rq, ids, func(i int) any {
		item := map[string]string{"id": list[i].id}
		if withName {
			item["page_label_name"] = list[i].name
		}
		return item
	})
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
