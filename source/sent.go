package source

import "net/http"

// sent acknowledges a submission. It is reached by the redirect that
// follows a stored submission, so reloading it sends nothing again.
func (s *Server) sent(w http.ResponseWriter, r *http.Request) {
	sess := s.sessions.get(r)
	if sess == nil {
		s.showProblem(w, r, http.StatusUnauthorized, probSessionEnded)
		return
	}
	f := sess.takeFlash()
	if f == nil || !f.Sent {
		http.Redirect(w, r, "/report", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "sent", pageData{Title: "Report received", LoggedIn: true, Flash: f})
}
