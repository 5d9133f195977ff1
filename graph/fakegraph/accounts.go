package fakegraph

import "slices"

// me is GET /me: for a page token the page, for a user token the person,
// which is how a token is checked cheaply.
func (s *Server) me(rq *request, _ string) (any, *FBError) {
	if rq.page != nil {
		return map[string]string{"id": rq.page.id, "name": rq.page.name}, nil
	}
	return map[string]string{"id": rq.manager.id, "name": rq.manager.name}, nil
}

// permissions is GET /me/permissions: what the person granted or declined
// in their last dialog, after public_profile, which every login grants.
func (s *Server) permissions(rq *request, _ string) (any, *FBError) {
	data := []map[string]string{{"permission": "public_profile", "status": "granted"}}
	for _, p := range rq.manager.perms {
		if p.name != "public_profile" {
			data = append(data, map[string]string{"permission": p.name, "status": p.status})
		}
	}
	return map[string]any{"data": data}, nil
}

// accountFields are the fields of me/accounts the fake knows.
var accountFields = []string{"id", "name", "access_token", "tasks"}

// accounts is GET /me/accounts: the pages the person manages, with a page
// token each, in cursor-paged listings. A person who declined
// pages_show_list gets none, as on Facebook.
func (s *Server) accounts(rq *request, _ string) (any, *FBError) {
	fields := splitFields(rq.params.Get("fields"))
	if len(fields) == 0 {
		fields = accountFields
	}
	for _, f := range fields {
		if !slices.Contains(accountFields, f) {
			return nil, paramError("Tried accessing nonexisting field (" + f + ") on node type (Page)")
		}
	}
	m := rq.manager
	var list []*managed
	if !m.declined("pages_show_list") {
		list = m.pages
	}
	ids := make([]string, len(list))
	for i, mp := range list {
		ids[i] = mp.page.id
	}
	return s.pageOf(rq, ids, func(i int) any {
		mp := list[i]
		item := map[string]any{"id": mp.page.id}
		for _, f := range fields {
			switch f {
			case "name":
				item["name"] = mp.page.name
			case "access_token":
				item["access_token"] = s.livePageToken(m, mp)
			case "tasks":
				item["tasks"] = slices.Clone(mp.tasks)
			}
		}
		return item
	})
}

// livePageToken is the person's page token, a fresh one when the last was
// expired, as after a password change and a new login; it runs with s.mu
// held.
func (s *Server) livePageToken(m *manager, mp *managed) string {
	if t := s.tokens[mp.token]; t != nil && t.dead == nil {
		return mp.token
	}
	mp.token = s.mintToken(&tokenInfo{page: mp.page, manager: m}).value
	return mp.token
}

// PageToken is the page token me/accounts gives the person for the page
// now, "" if they do not manage it: tests use it to expire the token the
// server received, or to check which one it sends.
func (s *Server) PageToken(managerID, pageID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustManager("PageToken", managerID)
	for _, mp := range m.pages {
		if mp.page.id == pageID {
			return s.livePageToken(m, mp)
		}
	}
	return ""
}
