package journalist

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/candor-drop/candor/store"
)

var pageNames = []string{"login", "error", "sources", "source", "replies", "credentials", "admin"}

func parseTemplates() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, n := range pageNames {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html")
		if err != nil {
			return nil, fmt.Errorf("journalist: unable to parse template %s: %w", n, err)
		}
		out[n] = t
	}
	return out, nil
}

// page is what every template gets.
type page struct {
	Title    string
	Reviewer *store.Reviewer
	Flash    string
	Data     any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	p := page{Title: title, Reviewer: reviewerFrom(r), Data: data}
	if c, err := r.Cookie("candor_flash"); err == nil {
		p.Flash = flashMessages[c.Value]
		http.SetCookie(w, &http.Cookie{Name: "candor_flash", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.pages[name].ExecuteTemplate(w, "layout", p); err != nil {
		s.log.Error("unable to render page", "page", name, "err", logErr(err))
	}
}

// flashMessages are the one-line confirmations shown after a redirect;
// the cookie carries only the key.
var flashMessages = map[string]string{
	"starred":      "Star updated.",
	"status":       "Case status set.",
	"reply":        "Reply stored, encrypted to the reporter and the submission keys.",
	"deleted":      "Deleted.",
	"reviewer":     "Reviewer updated.",
	"key-added":    "Submission key added; new items are encrypted to it.",
	"key-retired":  "Submission key retired; new items are no longer encrypted to it.",
	"settings":     "Settings saved.",
	"items-delete": "All items of the source deleted.",
}

func redirectFlash(w http.ResponseWriter, r *http.Request, to, flash string) {
	http.SetCookie(w, &http.Cookie{Name: "candor_flash", Value: flash, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", http.StatusText(status), msg)
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("journalist request failed", "route", r.Pattern, "err", err)
	s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on the server; nothing more is known here. Try again, or ask an admin to look at the server log.")
}

// fail shows err to the reviewer: its message if it is an *Error, a plain
// "not found" for store.ErrNotFound, else a generic message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ue *Error
	switch {
	case errors.As(err, &ue):
		s.renderError(w, r, ue.Status, ue.Message)
	case errors.Is(err, store.ErrNotFound):
		s.renderError(w, r, http.StatusNotFound, "That no longer exists (deleted?).")
	case errors.Is(err, store.ErrDiskFull):
		s.renderError(w, r, http.StatusInsufficientStorage, "The server's disk is nearly full; nothing was stored. Ask an admin.")
	default:
		s.internalError(w, r, err)
	}
}

func limitForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", "Log in", nil)
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	limitForm(w, r)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "login", "Log in", "The form could not be read; try again.")
		return
	}
	rv, err := s.authenticate(r.Context(), r.PostForm.Get("username"), r.PostForm.Get("passphrase"), r.PostForm.Get("one_time_code"))
	switch {
	case errors.Is(err, errThrottled):
		s.render(w, r, http.StatusTooManyRequests, "login", "Log in", errThrottled.Error())
		return
	case errors.Is(err, errLoginFailed):
		s.render(w, r, http.StatusUnauthorized, "login", "Log in", errLoginFailed.Error())
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	}
	// A new session at every login; any old one presented is ended.
	if c, err := r.Cookie(cookieName); err == nil {
		s.st.DeleteSession(r.Context(), hashToken(c.Value))
	}
	tok, _, err := s.newSession(r.Context(), rv, "web")
	if errors.Is(err, errLoginFailed) {
		s.render(w, r, http.StatusUnauthorized, "login", "Log in", errLoginFailed.Error())
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	setSessionCookie(w, tok)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logoutPost(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		s.st.DeleteSession(r.Context(), hashToken(c.Value))
	}
	clearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) sourcesPage(w http.ResponseWriter, r *http.Request) {
	srcs, err := s.st.Sources(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := 0
	for _, src := range srcs {
		n += src.NewCount
	}
	s.render(w, r, http.StatusOK, "sources", "Sources", struct {
		Sources []store.Source
		New     int
	}{srcs, n})
}

func (s *Server) sourcePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	src, err := s.st.Source(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.st.Items(ctx, src.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	set, err := s.st.Settings(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "source", src.Designation, struct {
		Source        *store.Source
		Items         []store.Item
		Statuses      []string
		OnlineAllowed bool
	}{src, items, store.Statuses, set.OnlineRepliesAllowed})
}

func actor(r *http.Request) string {
	if rv := reviewerFrom(r); rv != nil {
		return rv.Username
	}
	return "unknown"
}

func (s *Server) starPost(w http.ResponseWriter, r *http.Request) {
	limitForm(w, r)
	if err := s.st.SetStarred(r.Context(), r.PathValue("id"), r.PostFormValue("starred") == "1"); err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/", "starred")
}

func (s *Server) statusPost(w http.ResponseWriter, r *http.Request) {
	limitForm(w, r)
	id := r.PathValue("id")
	if err := s.SetStatus(r.Context(), actor(r), id, r.PostFormValue("status"), r.PostFormValue("note")); err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/sources/"+id, "status")
}

func (s *Server) replyPost(w http.ResponseWriter, r *http.Request) {
	limitForm(w, r)
	id := r.PathValue("id")
	if _, err := s.OnlineReply(r.Context(), actor(r), id, r.PostFormValue("text")); err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/sources/"+id, "reply")
}

// confirmed reports whether a destructive form was confirmed; if not, it
// says so.
func (s *Server) confirmed(w http.ResponseWriter, r *http.Request) bool {
	limitForm(w, r)
	if r.PostFormValue("confirm") != "yes" {
		s.renderError(w, r, http.StatusBadRequest, "Nothing was deleted: tick \"I am sure\" to confirm.")
		return false
	}
	return true
}

func (s *Server) deleteSourcePost(w http.ResponseWriter, r *http.Request) {
	if !s.confirmed(w, r) {
		return
	}
	if err := s.DeleteSource(r.Context(), actor(r), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/", "deleted")
}

func (s *Server) deleteSourceItemsPost(w http.ResponseWriter, r *http.Request) {
	if !s.confirmed(w, r) {
		return
	}
	id := r.PathValue("id")
	if err := s.DeleteSourceItems(r.Context(), actor(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/sources/"+id, "items-delete")
}

func (s *Server) deleteItemPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	it, err := s.st.Item(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.DeleteItem(ctx, actor(r), it.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/sources/"+it.SourceID, "deleted")
}

// serveItem sends one item's ciphertext as a download.
func (s *Server) serveItem(w http.ResponseWriter, r *http.Request, onErr func(error)) {
	rc, it, err := s.st.OpenItem(r.Context(), r.PathValue("id"))
	if err != nil {
		onErr(err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/pgp-encrypted")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"%s-%s.gpg\"", it.Kind, it.ID))
	w.Header().Set("Content-Length", strconv.FormatInt(it.Size, 10))
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Error("item download interrupted", "err", logErr(err))
	}
}

func (s *Server) itemDownload(w http.ResponseWriter, r *http.Request) {
	s.serveItem(w, r, func(err error) { s.fail(w, r, err) })
}

// lazyWriter sets the download headers at the first byte, so that an
// error before any output can still be reported properly.
type lazyWriter struct {
	w       http.ResponseWriter
	started bool
	name    string
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", "application/x-tar")
		l.w.Header().Set("Content-Disposition", "attachment; filename=\""+l.name+"\"")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// streamExport writes an export bundle as the response and marks its
// items exported once it has been written in full. A failure after the
// first byte aborts the connection so the client cannot take a truncated
// bundle for a whole one (it would not verify either).
func (s *Server) streamExport(w http.ResponseWriter, r *http.Request, sel ExportSelection, onErr func(error)) {
	lw := &lazyWriter{w: w, name: "candor-export-" + s.today() + ".tar"}
	res, err := s.Export(r.Context(), lw, sel)
	if err != nil {
		if lw.started {
			s.log.Error("export failed while streaming", "err", logErr(err))
			panic(http.ErrAbortHandler)
		}
		onErr(err)
		return
	}
	// The last bytes may still sit in the response buffer: push them out
	// first, and leave the items new if the connection has failed.
	if err := http.NewResponseController(w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.Error("export not delivered; its items stay new", "err", logErr(err))
		panic(http.ErrAbortHandler)
	}
	if err := s.CommitExport(r.Context(), actor(r), res); err != nil {
		s.log.Error("unable to mark exported items", "err", err)
	}
}

func (s *Server) exportPost(w http.ResponseWriter, r *http.Request) {
	limitForm(w, r)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "The form could not be read; try again.")
		return
	}
	sel := ExportSelection{ItemIDs: r.PostForm["item"], All: r.PostForm.Get("all") == "1"}
	s.streamExport(w, r, sel, func(err error) { s.fail(w, r, err) })
}

func (s *Server) repliesPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "replies", "Upload replies", nil)
}

// repliesPost takes the bundle as a streamed multipart part (no
// ParseMultipartForm: nothing spills to temporary files).
func (s *Server) repliesPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxReplyBundleBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Choose a reply bundle file to upload.")
		return
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			s.renderError(w, r, http.StatusBadRequest, "Choose a reply bundle file to upload.")
			return
		}
		if part.FormName() != "bundle" {
			part.Close()
			continue
		}
		res, err := s.ApplyReplies(r.Context(), actor(r), part)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "replies", "Upload replies", res)
		return
	}
}

// Admin pages.

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	revs, err := s.st.Reviewers(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	keys, err := s.st.SubmissionKeys(ctx, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	set, err := s.st.Settings(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	audit, err := s.st.AuditLog(ctx, 200)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin", "Admin", struct {
		Reviewers []store.Reviewer
		Keys      []store.SubmissionKey
		Settings  store.Settings
		Audit     []store.AuditEntry
	}{revs, keys, set, audit})
}

func pathReviewerID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, store.ErrNotFound
	}
	return id, nil
}

func (s *Server) adminAddReviewer(w http.ResponseWriter, r *http.Request) {
	limitForm(w, r)
	c, err := s.CreateReviewer(r.Context(), actor(r), r.PostFormValue("username"), r.PostFormValue("admin") == "1")
	if err != nil {
		s.fail(w, r, adminErr(err))
		return
	}
	s.render(w, r, http.StatusOK, "credentials", "New reviewer", c)
}

func (s *Server) adminResetReviewer(w http.ResponseWriter, r *http.Request) {
	id, err := pathReviewerID(r)
	if err == nil {
		var c *Credentials
		if c, err = s.ResetReviewer(r.Context(), actor(r), id); err == nil {
			s.render(w, r, http.StatusOK, "credentials", "Reset reviewer", c)
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Server) adminRemoveReviewer(w http.ResponseWriter, r *http.Request) {
	id, err := pathReviewerID(r)
	if err == nil {
		err = s.RemoveReviewer(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin", "reviewer")
}

func (s *Server) adminSetAdmin(w http.ResponseWriter, r *http.Request) {
	limitForm(w, r)
	id, err := pathReviewerID(r)
	if err == nil {
		err = s.SetAdmin(r.Context(), actor(r), id, r.PostFormValue("admin") == "1")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin", "reviewer")
}

func (s *Server) adminAddSubmissionKey(w http.ResponseWriter, r *http.Request) {
	limitForm(w, r)
	if _, err := s.AddSubmissionKey(r.Context(), actor(r), []byte(r.PostFormValue("key"))); err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin", "key-added")
}

func (s *Server) adminRetireSubmissionKey(w http.ResponseWriter, r *http.Request) {
	if err := s.RetireSubmissionKey(r.Context(), actor(r), r.PathValue("fpr")); err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin", "key-retired")
}

func (s *Server) adminSettingsPost(w http.ResponseWriter, r *http.Request) {
	limitForm(w, r)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "The form could not be read; try again.")
		return
	}
	f := r.PostForm
	set := store.Settings{
		OrganisationName:     f.Get("organisation_name"),
		UploadsAllowed:       f.Get("uploads_allowed") == "1",
		OnlineRepliesAllowed: f.Get("online_replies_allowed") == "1",
	}
	var errs []error
	var err error
	set.MaxUploadBytes, err = strconv.ParseInt(f.Get("max_upload_bytes"), 10, 64)
	errs = append(errs, err)
	set.MinFirstMessageChars, err = strconv.Atoi(f.Get("min_first_message_chars"))
	errs = append(errs, err)
	set.RetentionDays, err = strconv.Atoi(f.Get("retention_days"))
	errs = append(errs, err)
	if slices.ContainsFunc(errs, func(e error) bool { return e != nil }) {
		s.renderError(w, r, http.StatusBadRequest, "Sizes, lengths and days must be whole numbers.")
		return
	}
	if err := s.SaveSettings(r.Context(), actor(r), set); err != nil {
		s.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin", "settings")
}

// adminErr turns account errors into messages.
func adminErr(err error) error {
	switch {
	case errors.Is(err, ErrBadUsername):
		return userError("bad_username", 400, "A user name is 1-64 letters, digits, '.', '-' or '_'.", err)
	case errors.Is(err, store.ErrExists):
		return userError("username_taken", 409, "That user name is taken.", err)
	}
	return err
}
