package source

import "net/http"

// landing is the start page: what this is, who reads reports, how
// anonymity works, and the two ways in.
func (s *Server) landing(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "landing", pageData{Title: "Confidential reporting", LoggedIn: s.sessions.get(r) != nil})
}
