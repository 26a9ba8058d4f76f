package source

import "net/http"

// logout ends the session and tells the reporter to use "New Identity".
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.sessions.destroy(w, r)
	http.Redirect(w, r, "/logout", http.StatusSeeOther)
}

func (s *Server) logoutPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "logout", pageData{Title: "Logged out"})
}
