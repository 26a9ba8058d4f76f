package source

import (
	"errors"
	"net/http"

	"github.com/candor-drop/candor/crypto"
)

// maxSmallForm bounds the body of the forms that are not uploads.
const maxSmallForm = 4 << 10

// newCodename generates a codename and shows it. Nothing is stored and no
// session is made: the codename only reaches the server again when the
// reporter continues (startReport).
func (s *Server) newCodename(w http.ResponseWriter, r *http.Request) {
	c, err := crypto.NewCodename()
	if err != nil {
		s.log.Error("source: unable to generate a codename", "err", err)
		s.showProblem(w, r, http.StatusInternalServerError, probServer)
		return
	}
	s.render(w, r, http.StatusOK, "codename", pageData{Title: "Your codename", Codename: c})
}

// startReport derives the identity of the codename just shown, starts a
// new session holding it (not the codename), and shows the report form
// with the codename once more. The source itself is only created with the
// first submission.
func (s *Server) startReport(w http.ResponseWriter, r *http.Request) {
	codename, ok := s.readCodename(w, r)
	if !ok {
		return
	}
	norm, err := crypto.NormalizeCodename(codename)
	if err != nil {
		s.showProblem(w, r, http.StatusBadRequest, problem{
			Heading:  "That codename did not come through",
			Happened: "The codename sent with the form was changed or damaged on the way.",
			Saved:    "Nothing was saved.",
			Next:     "Start again to get a new codename.",
			Link:     "/new", LinkText: "Get a new codename",
		})
		return
	}
	id, err := s.kdf.derive(r.Context(), norm, s.cfg.Pepper, s.cfg.KDF)
	if err != nil {
		s.kdfFailed(w, r, err)
		return
	}
	sourceID := ""
	if src, err := s.cfg.Store.SourceByLookupID(r.Context(), id.LookupID); err == nil {
		sourceID = src.ID // an existing codename: behave as a login
	} else if !errors.Is(err, errNotFound) {
		s.log.Error("source: unable to look up a source", "err", err)
		s.showProblem(w, r, http.StatusInternalServerError, probServer)
		return
	}
	if s.sessions.create(w, r, id, sourceID) == nil {
		s.showProblem(w, r, http.StatusServiceUnavailable, probBusy)
		return
	}
	d := s.reportData(r)
	d.LoggedIn = true
	d.Codename = norm
	s.render(w, r, http.StatusOK, "report", d)
}

// readCodename reads the small url-encoded form carrying a codename. It
// refuses over-long codenames before any other work.
func (s *Server) readCodename(w http.ResponseWriter, r *http.Request) (string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSmallForm)
	if err := r.ParseForm(); err != nil {
		s.showProblem(w, r, http.StatusBadRequest, probCodenameTooLong)
		return "", false
	}
	c := r.PostForm.Get("codename")
	if len(c) > crypto.MaxCodenameBytes {
		s.showProblem(w, r, http.StatusBadRequest, probCodenameTooLong)
		return "", false
	}
	return c, true
}

var probCodenameTooLong = problem{
	Heading:  "That is too long to be a codename",
	Happened: "What you entered is much longer than any codename we give out.",
	Saved:    "Nothing was changed.",
	Next:     "A codename is seven short words. Check what you wrote down and try again.",
	Link:     "/login", LinkText: "Back to the login page",
}

func (s *Server) kdfFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errBusy):
		w.Header().Set("Retry-After", "60")
		s.showProblem(w, r, http.StatusServiceUnavailable, probBusy)
	case r.Context().Err() != nil:
		// The reporter went away; nobody to answer.
	default:
		s.log.Error("source: unable to derive a source identity", "err", err)
		s.showProblem(w, r, http.StatusInternalServerError, probServer)
	}
}
