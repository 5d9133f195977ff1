package fakegraph

import "strconv"

// ImportLabel makes a page label with a given id, as if Facebook had made it
// earlier: the demo uses it to restore, after a restart, the labels its
// database already knows. Later ids are drawn above any imported one. The
// page must have been added; an unknown page is ignored.
func (s *Server) ImportLabel(pageID, labelID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pg := s.pages[pageID]
	if pg == nil || s.labels[labelID] != nil {
		return
	}
	l := &label{id: labelID, name: name, page: pg, users: map[string]bool{}}
	s.labels[labelID] = l
	pg.labels = append(pg.labels, l)
	if n, err := strconv.ParseInt(labelID, 10, 64); err == nil && n > s.lastID {
		s.lastID = n
	}
}
