package source

import (
	"errors"
	"net/http"

	"github.com/candor-drop/candor/crypto"
)

const msgWrongCodename = "We could not find a report with that codename. Please check the words and their order, and try again. If you have lost your codename, you can make a new report."

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", pageData{Title: "Log in with your codename", LoggedIn: s.sessions.get(r) != nil})
}

// login derives the identity of a codename (length capped and normalised
// first, KDF bounded by the limiter) and, if it belongs to a source,
// starts a fresh session for it.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	codename, ok := s.readCodename(w, r)
	if !ok {
		return
	}
	wrong := func() {
		s.render(w, r, http.StatusUnauthorized, "login", pageData{Title: "Log in with your codename", LoginError: msgWrongCodename})
	}
	norm, err := crypto.NormalizeCodename(codename)
	if err != nil {
		wrong()
		return
	}
	id, err := s.kdf.derive(r.Context(), norm, s.cfg.Pepper, s.cfg.KDF)
	if err != nil {
		s.kdfFailed(w, r, err)
		return
	}
	src, err := s.cfg.Store.SourceByLookupID(r.Context(), id.LookupID)
	if errors.Is(err, errNotFound) {
		wrong()
		return
	}
	if err != nil {
		s.log.Error("source: unable to look up a source", "err", err)
		s.showProblem(w, r, http.StatusInternalServerError, probServer)
		return
	}
	if s.sessions.create(w, r, id, src.ID) == nil {
		s.showProblem(w, r, http.StatusServiceUnavailable, probBusy)
		return
	}
	if err := s.cfg.Store.TouchSource(r.Context(), src.ID); err != nil {
		s.log.Error("source: unable to record the day of activity", "err", err)
	}
	http.Redirect(w, r, "/history", http.StatusSeeOther)
}
