package source

import (
	"net/http"
	"strconv"
)

// category is one choice of the report form. Value is what the encrypted
// report carries (see docs/report-format.md).
type category struct {
	Value string
	Label string
}

// Categories of misconduct, in the order shown.
var Categories = []category{
	{"racism", "Racism"},
	{"misogyny", "Misogyny or sexual misconduct"},
	{"discrimination", "Homophobia or other discrimination"},
	{"corruption", "Corruption or abuse of position"},
	{"violence", "Violence"},
	{"other", "Other"},
}

func validCategory(v string) bool {
	if v == "" {
		return true
	}
	for _, c := range Categories {
		if c.Value == v {
			return true
		}
	}
	return false
}

func (s *Server) reportData(r *http.Request) pageData {
	st := s.instanceSettings(r.Context())
	return pageData{
		Title:      "Make a report",
		Categories: Categories,
		Uploads:    st.UploadsAllowed,
		MaxUpload:  humanBytes(st.MaxUploadBytes),
	}
}

// reportForm shows the report form to a reporter with a session. The
// codename is not shown here: only on the first form, right after it was
// generated.
func (s *Server) reportForm(w http.ResponseWriter, r *http.Request) {
	if s.sessions.get(r) == nil {
		s.showProblem(w, r, http.StatusUnauthorized, probSessionEnded)
		return
	}
	d := s.reportData(r)
	d.LoggedIn = true
	s.render(w, r, http.StatusOK, "report", d)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
