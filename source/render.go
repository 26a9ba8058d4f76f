package source

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
)

// pageNames are the templates under templates/, each rendered inside layout.html.
var pageNames = []string{"landing", "codename", "report", "sent", "login", "history", "logout", "warning", "problem"}

func parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"plural": plural}
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("source: unable to parse template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// pageData is what every template gets.
type pageData struct {
	Title      string
	Org        string
	LoggedIn   bool
	Codename   string // shown on the codename page and the first report form only
	Categories []category
	Flash      *flash
	Problem    *problem
	MaxUpload  string
	Uploads    bool
	// history page
	Status     string
	StatusNote string
	NoteError  bool
	Replies    []reply
	Reports    int
	Files      int
	LoginError string
}

type reply struct {
	ID   string
	Day  string
	Text string
	Bad  bool // could not be decrypted
}

// render writes a whole page or, if the template fails, a plain error page;
// never half a page and never internal error text.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	if d.Org == "" {
		d.Org = s.instanceSettings(r.Context()).OrganisationName
	}
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, d); err != nil {
		s.log.Error("source: unable to render page", "page", name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("Something went wrong on our side. Nothing new was saved. Please try again later.\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// problem is a message for a reporter when something did not work: what
// happened, whether anything was saved, and what to do next.
type problem struct {
	Heading  string
	Happened string
	Saved    string
	Next     string
	Link     string // where the button leads
	LinkText string
}

// showProblem renders the problem page.
func (s *Server) showProblem(w http.ResponseWriter, r *http.Request, status int, p problem) {
	if p.Link == "" {
		p.Link, p.LinkText = "/", "Back to the start page"
	}
	s.render(w, r, status, "problem", pageData{Title: p.Heading, Problem: &p, LoggedIn: s.sessions.get(r) != nil})
}

// Problems a reporter may meet. Kept together so the wording stays consistent.
var (
	probNotFound = problem{
		Heading:  "Page not found",
		Happened: "There is no page at this address.",
		Saved:    "Nothing was changed.",
		Next:     "Go back to the start page and follow the links from there.",
	}
	probSessionEnded = problem{
		Heading:  "Your session has ended",
		Happened: "You were away for a while, or the server was restarted, so we ended your session to protect you.",
		Saved:    "Nothing from this page was saved. Anything you sent earlier and were told was received is still safe.",
		Next:     "If you already have a codename, log in with it and send this again. If you never sent anything, start a new report.",
		Link:     "/login", LinkText: "Log in with your codename",
	}
	probCrossOrigin = problem{
		Heading:  "This form was sent from another website",
		Happened: "Your browser sent this form from a page that is not part of this site, so we refused it to protect you.",
		Saved:    "Nothing was saved.",
		Next:     "Open this site directly in Tor Browser and use its own forms.",
	}
	probTooLarge = problem{
		Heading:  "Your upload was too large",
		Happened: "The report and its files together were larger than the limit of %s for one submission.",
		Saved:    "Nothing was saved: not the report and not the files.",
		Next:     "Go back, remove or shrink some files, and send the report again. You can send more files afterwards in a second submission.",
		Link:     "/report", LinkText: "Back to the report form",
	}
	probMalformed = problem{
		Heading:  "Your report did not arrive complete",
		Happened: "The form reached us damaged or incomplete, perhaps because the connection was interrupted.",
		Saved:    "Nothing was saved.",
		Next:     "Go back to the report form and send it again.",
		Link:     "/report", LinkText: "Back to the report form",
	}
	probEmpty = problem{
		Heading:  "Your report was empty",
		Happened: "The report had no text and no file.",
		Saved:    "Nothing was saved.",
		Next:     "Go back, write what happened or attach a file, and send it again.",
		Link:     "/report", LinkText: "Back to the report form",
	}
	probTooShort = problem{
		Heading:  "Your first report is too short",
		Happened: "The first report needs at least %d characters of text so that the unit can act on it.",
		Saved:    "Nothing was saved.",
		Next:     "Go back, describe what happened in a little more detail, and send it again.",
		Link:     "/report", LinkText: "Back to the report form",
	}
	probBadText = problem{
		Heading:  "We could not read some of the text",
		Happened: "Part of the text contained characters that are not valid text (not UTF-8).",
		Saved:    "Nothing was saved.",
		Next:     "Go back, retype or paste the text again as plain text, and send it again.",
		Link:     "/report", LinkText: "Back to the report form",
	}
	probTextTooLong = problem{
		Heading:  "Your text is too long",
		Happened: "The text of the form is longer than we accept in one report (about 100,000 characters for the description, 2,000 for the other fields).",
		Saved:    "Nothing was saved.",
		Next:     "Go back, shorten the text, and attach the rest as a file if you need to.",
		Link:     "/report", LinkText: "Back to the report form",
	}
	probBadCategory = problem{
		Heading:  "We did not recognise the category",
		Happened: "The category sent with the form is not one of those on the form.",
		Saved:    "Nothing was saved.",
		Next:     "Go back to the report form, choose a category from the list, and send it again.",
		Link:     "/report", LinkText: "Back to the report form",
	}
	probNoFiles = problem{
		Heading:  "Files cannot be sent at the moment",
		Happened: "The unit has switched off file uploads for now.",
		Saved:    "Nothing was saved.",
		Next:     "Go back and send your report without files; describe what the files show instead.",
		Link:     "/report", LinkText: "Back to the report form",
	}
	probDiskFull = problem{
		Heading:  "We cannot accept uploads right now",
		Happened: "Our server is short of storage space.",
		Saved:    "Nothing was saved.",
		Next:     "Please keep your report and try again in a day or two. If you have a codename, you can log in then and send it.",
		Link:     "/", LinkText: "Back to the start page",
	}
	probServer = problem{
		Heading:  "Something went wrong on our side",
		Happened: "The server could not finish your request.",
		Saved:    "Nothing new was saved.",
		Next:     "Please try again in a few minutes. If it keeps happening, try again another day.",
	}
	probBusy = problem{
		Heading:  "We are very busy right now",
		Happened: "Too many people are logging in at this moment.",
		Saved:    "Nothing was changed.",
		Next:     "Wait a minute, then try again.",
		Link:     "/login", LinkText: "Back to the login page",
	}
	probReplyGone = problem{
		Heading:  "That reply is not there",
		Happened: "We could not find that reply. It may have been deleted already.",
		Saved:    "Nothing was changed.",
		Next:     "Go back to your page to see your replies.",
		Link:     "/history", LinkText: "Back to your page",
	}
)

func (p problem) withf(args ...any) problem {
	p.Happened = fmt.Sprintf(p.Happened, args...)
	return p
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.showProblem(w, r, http.StatusNotFound, probNotFound)
}

func (s *Server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	s.showProblem(w, r, http.StatusForbidden, probCrossOrigin)
}
