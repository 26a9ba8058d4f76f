package source

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// Limits of one submission besides the configured byte limit.
const (
	maxMessageBytes  = 100_000 // the "what happened" text
	maxFieldBytes    = 2_000   // category, officers, when, where
	maxFilenameBytes = 255
	maxFiles         = 100
	maxParts         = 1000 // parts of any kind; our form sends at most maxFiles+7
	formatVersion    = 1
)

// reportDoc is the plaintext of a report item (docs/report-format.md).
type reportDoc struct {
	Version  int    `json:"version"`
	Category string `json:"category"`
	Officers string `json:"officers"`
	When     string `json:"when"`
	Where    string `json:"where"`
	Message  string `json:"message"`
}

// fileHeader is the first line of the plaintext of a file item
// (docs/report-format.md); the file's bytes follow it.
type fileHeader struct {
	Version     int    `json:"version"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
}

// Reasons a submission is refused. Each maps to a problem page.
var (
	errMalformed    = errors.New("source: malformed submission")
	errEmpty        = errors.New("source: empty report")
	errTooShort     = errors.New("source: first report too short")
	errBadText      = errors.New("source: text is not valid UTF-8")
	errTextTooLong  = errors.New("source: text too long")
	errBadCategory  = errors.New("source: unknown category")
	errNoUploads    = errors.New("source: uploads are switched off")
	errTooManyFiles = errors.New("source: too many files")
	errNoKeys       = errors.New("source: no active submission key")
)

// readError marks an error that came from reading the request, as opposed
// to encrypting or storing.
type readError struct{ err error }

func (e *readError) Error() string { return "source: unable to read the request: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

type partReader struct{ r io.Reader }

func (p partReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && err != io.EOF {
		err = &readError{err}
	}
	return n, err
}

// submission is one POST /report in progress. It is all or nothing: its
// items (and a first-time source) are stored pending, invisible to
// reviewers, and committed together just before the reporter is told; on
// any failure, rollback deletes what it stored, and after a crash the
// store discards what was left pending.
type submission struct {
	s        *Server
	ctx      context.Context
	sess     *session
	settings store.Settings

	doc         reportDoc
	reportDone  bool // the report item was stored (or deliberately skipped)
	reportSaved bool
	files       int
	honeypot    bool
	firstTime   bool

	keys          []*crypto.PublicKey
	fprs          []string
	stored        []string // item ids stored so far
	createdSource string   // source id created by this submission
}

// submit receives a report and its attachments, streaming every file part
// through encryption into the store. It acknowledges (redirect to /sent)
// only after every item is stored.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	st := s.instanceSettings(r.Context())
	limit := st.MaxUploadBytes
	r.Body = http.MaxBytesReader(w, stallGuard(w, r.Body, s.cfg.UploadStall), limit)
	sess := s.sessions.get(r)
	if sess == nil {
		drain(r.Body)
		s.showProblem(w, r, http.StatusUnauthorized, probSessionEnded)
		return
	}
	if r.ContentLength > limit {
		s.showProblem(w, r, http.StatusRequestEntityTooLarge, probTooLarge.withf(humanBytes(limit)))
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		drain(r.Body)
		s.showProblem(w, r, http.StatusBadRequest, probMalformed)
		return
	}
	sub := &submission{s: s, ctx: r.Context(), sess: sess, settings: st, firstTime: sess.source() == ""}
	if err := sub.run(mr); err != nil {
		sub.rollback()
		s.submitFailed(w, r, err, limit) // drains the rest, still under the stall guard
		return
	}
	// The whole body has been read: no stall deadline from here on.
	http.NewResponseController(w).SetReadDeadline(time.Time{})
	if sub.honeypot {
		// A bot filled the hidden field: keep nothing, look like success.
		sub.rollback()
		sess.setFlash(&flash{Sent: true, ReportSaved: true, Files: sub.files})
		http.Redirect(w, r, "/sent", http.StatusSeeOther)
		return
	}
	// Make the submission visible, all of it at once, before saying so.
	if err := s.cfg.Store.CommitItems(context.WithoutCancel(r.Context()), sub.stored); err != nil {
		sub.rollback()
		s.submitFailed(w, r, err, limit)
		return
	}
	if id := sess.source(); id != "" {
		if err := s.cfg.Store.TouchSource(context.WithoutCancel(r.Context()), id); err != nil {
			s.log.Error("source: unable to record the day of activity", "err", err)
		}
	}
	sess.setFlash(&flash{Sent: true, ReportSaved: sub.reportSaved, Files: sub.files})
	http.Redirect(w, r, "/sent", http.StatusSeeOther)
}

func (s *Server) submitFailed(w http.ResponseWriter, r *http.Request, err error, limit int64) {
	drain(r.Body)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		s.showProblem(w, r, http.StatusRequestEntityTooLarge, probTooLarge.withf(humanBytes(limit)))
	case errors.Is(err, errEmpty):
		s.showProblem(w, r, http.StatusBadRequest, probEmpty)
	case errors.Is(err, errTooShort):
		s.showProblem(w, r, http.StatusBadRequest, probTooShort.withf(s.instanceSettings(r.Context()).MinFirstMessageChars))
	case errors.Is(err, errBadText):
		s.showProblem(w, r, http.StatusBadRequest, probBadText)
	case errors.Is(err, errTextTooLong):
		s.showProblem(w, r, http.StatusRequestEntityTooLarge, probTextTooLong)
	case errors.Is(err, errBadCategory):
		s.showProblem(w, r, http.StatusBadRequest, probBadCategory)
	case errors.Is(err, errNoUploads):
		s.showProblem(w, r, http.StatusForbidden, probNoFiles)
	case errors.Is(err, errTooManyFiles):
		s.showProblem(w, r, http.StatusRequestEntityTooLarge, probTooManyFiles)
	case errors.Is(err, store.ErrDiskFull):
		s.log.Warn("source: refused a submission: disk nearly full")
		s.showProblem(w, r, http.StatusInsufficientStorage, probDiskFull)
	case errors.Is(err, store.ErrNotFound):
		// The unit removed this reporter's source while they were here.
		s.sessions.destroy(w, r)
		s.showProblem(w, r, http.StatusGone, probSourceGoneSubmit)
	case errors.Is(err, errMalformed):
		s.showProblem(w, r, http.StatusBadRequest, probMalformed)
	case r.Context().Err() != nil:
		// The reporter's connection went away: nobody to tell.
		s.log.Info("source: a submission was interrupted; nothing kept")
	case isReadError(err):
		s.showProblem(w, r, http.StatusBadRequest, probMalformed)
	default:
		s.log.Error("source: unable to store a submission; nothing kept", "err", err)
		s.showProblem(w, r, http.StatusInternalServerError, probServer)
	}
}

func isReadError(err error) bool {
	var re *readError
	return errors.As(err, &re)
}

var probSourceGoneSubmit = problem{
	Heading:  "Your earlier report is no longer here",
	Happened: "The reports and replies for this codename were removed from the server while you were writing.",
	Saved:    "Nothing was saved.",
	Next:     "Please make a new report with a new codename, and say there that you reported before if you want.",
	Link:     "/new", LinkText: "Make a new report",
}

var probTooManyFiles = problem{
	Heading:  "Too many files at once",
	Happened: "You attached more than 100 files to one report.",
	Saved:    "Nothing was saved.",
	Next:     "Put the files into fewer archives (for example a zip file), or send them in several submissions.",
	Link:     "/report", LinkText: "Back to the report form",
}

// stallGuard moves the connection's read deadline forward before every
// read of the body, so an upload may take as long as it needs but may not
// stall for longer than stall: a client trickling nothing cannot hold a
// connection (and a session's submission) open forever. Where the
// connection has no deadlines (tests with a recorder) it does nothing.
func stallGuard(w http.ResponseWriter, body io.ReadCloser, stall time.Duration) io.ReadCloser {
	return &stallReader{rc: http.NewResponseController(w), body: body, stall: stall}
}

type stallReader struct {
	rc    *http.ResponseController
	body  io.ReadCloser
	stall time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	s.rc.SetReadDeadline(time.Now().Add(s.stall))
	return s.body.Read(p)
}

func (s *stallReader) Close() error { return s.body.Close() }

// drain reads what is left of a (size-limited) body so that the browser
// gets to see the answer instead of a reset connection.
func drain(body io.Reader) { io.Copy(io.Discard, body) }

func (sub *submission) run(mr *multipart.Reader) error {
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &readError{err}
		}
		if n >= maxParts {
			part.Close()
			return errMalformed
		}
		err = sub.part(part)
		part.Close()
		if err != nil {
			return err
		}
	}
	if sub.honeypot {
		return nil
	}
	if !sub.reportDone {
		if strings.TrimSpace(sub.doc.Message) == "" && sub.files == 0 {
			return errEmpty
		}
		if err := sub.storeReport(); err != nil {
			return err
		}
	}
	return nil
}

func (sub *submission) part(p *multipart.Part) error {
	name := p.FormName()
	switch name {
	case "file":
		if p.FileName() == "" {
			// A file input with nothing chosen sends an empty part.
			br := bufio.NewReader(partReader{p})
			if _, err := br.Peek(1); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			return sub.storeFile("", p.Header.Get("Content-Type"), br)
		}
		return sub.storeFile(p.FileName(), p.Header.Get("Content-Type"), partReader{p})
	case "category", "officers", "when", "where", "message", "website":
		if sub.reportDone {
			// Text after files: not something our form sends.
			return errMalformed
		}
		max := maxFieldBytes
		if name == "message" {
			max = maxMessageBytes
		}
		b, err := io.ReadAll(io.LimitReader(partReader{p}, int64(max)+1))
		if err != nil {
			return err
		}
		if len(b) > max {
			return errTextTooLong
		}
		if !utf8.Valid(b) {
			return errBadText
		}
		v := strings.ReplaceAll(string(b), "\r\n", "\n")
		switch name {
		case "category":
			sub.doc.Category = strings.TrimSpace(v)
		case "officers":
			sub.doc.Officers = v
		case "when":
			sub.doc.When = v
		case "where":
			sub.doc.Where = v
		case "message":
			sub.doc.Message = v
		case "website":
			if strings.TrimSpace(v) != "" {
				sub.honeypot = true
			}
		}
		return nil
	default:
		// Unknown parts are read and ignored (bounded by MaxBytesReader).
		_, err := io.Copy(io.Discard, partReader{p})
		return err
	}
}

// ensureKeys fetches the submission keys once per submission.
func (sub *submission) ensureKeys() error {
	if sub.keys != nil {
		return nil
	}
	keys, err := sub.s.cfg.SubmissionKeys(sub.ctx)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return errNoKeys
	}
	sub.keys = keys
	for _, k := range keys {
		sub.fprs = append(sub.fprs, k.Fingerprint())
	}
	return nil
}

// ensureSource creates the source on its first submission.
func (sub *submission) ensureSource() (string, error) {
	sess := sub.sess
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.sourceID != "" {
		return sess.sourceID, nil
	}
	id := sess.identity
	st := sub.s.cfg.Store
	for range 20 {
		designation, err := crypto.NewDesignation()
		if err != nil {
			return "", err
		}
		src, err := st.CreatePendingSource(sub.ctx, id.LookupID, id.PublicKey().Bytes(), designation)
		if err == nil {
			sess.sourceID = src.ID
			sub.createdSource = src.ID
			return src.ID, nil
		}
		if !errors.Is(err, store.ErrExists) {
			return "", err
		}
		// The designation was taken, or the source exists already.
		if src, err := st.SourceByLookupID(sub.ctx, id.LookupID); err == nil {
			sess.sourceID = src.ID
			return src.ID, nil
		}
	}
	return "", errors.New("source: unable to find a free designation")
}

func (sub *submission) validateReport() error {
	if !validCategory(sub.doc.Category) {
		return errBadCategory
	}
	if min := sub.settings.MinFirstMessageChars; sub.firstTime && min > 0 &&
		utf8.RuneCountInString(strings.TrimSpace(sub.doc.Message)) < min {
		return errTooShort
	}
	return nil
}

// storeReport stores the structured fields and text as one message, once.
func (sub *submission) storeReport() error {
	if err := sub.validateReport(); err != nil {
		return err
	}
	sub.reportDone = true
	d := sub.doc
	if d.Category == "" && strings.TrimSpace(d.Officers+d.When+d.Where+d.Message) == "" {
		return nil // only files: nothing to say besides them
	}
	if sub.honeypot {
		sub.reportSaved = true
		return nil
	}
	d.Version = formatVersion
	plaintext, err := json.Marshal(d)
	if err != nil {
		return err
	}
	defer clear(plaintext)
	err = sub.add(store.KindMessage, func(w io.Writer) error {
		_, err := w.Write(plaintext)
		return err
	})
	if err != nil {
		return err
	}
	sub.reportSaved = true
	return nil
}

// storeFile streams one attachment into the store, its sanitised name and
// type inside the encryption.
func (sub *submission) storeFile(name, contentType string, r io.Reader) error {
	if !sub.settings.UploadsAllowed {
		return errNoUploads
	}
	if sub.files >= maxFiles {
		return errTooManyFiles
	}
	if !sub.reportDone {
		if err := sub.storeReport(); err != nil {
			return err
		}
	}
	sub.files++
	if sub.honeypot {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	hdr, err := json.Marshal(fileHeader{
		Version:     formatVersion,
		Filename:    sanitizeFilename(name),
		ContentType: sanitizeContentType(contentType),
	})
	if err != nil {
		return err
	}
	hdr = append(hdr, '\n')
	return sub.add(store.KindFile, func(w io.Writer) error {
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		_, err := io.Copy(w, r)
		return err
	})
}

// add encrypts what write produces to the submission keys and stores it as
// one item of the source.
func (sub *submission) add(kind store.ItemKind, write func(io.Writer) error) error {
	if err := sub.ensureKeys(); err != nil {
		return err
	}
	srcID, err := sub.ensureSource()
	if err != nil {
		return err
	}
	item, err := sub.s.cfg.Store.AddItem(sub.ctx, store.NewItem{SourceID: srcID, Kind: kind, Fingerprints: sub.fprs, Pending: true}, func(blob io.Writer) error {
		enc, err := crypto.Encrypt(blob, sub.keys...)
		if err != nil {
			return err
		}
		if err := write(enc); err != nil {
			return err
		}
		return enc.Close()
	})
	if err != nil {
		return err
	}
	sub.stored = append(sub.stored, item.ID)
	return nil
}

// rollback deletes every item this submission stored, and the source if
// this submission created it and nothing else was stored for it since.
func (sub *submission) rollback() {
	ctx := context.WithoutCancel(sub.ctx)
	st := sub.s.cfg.Store
	for _, id := range sub.stored {
		if err := st.DeleteItem(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			sub.s.log.Error("source: unable to delete an item of a failed submission", "err", err)
		}
	}
	sub.stored = nil
	if sub.createdSource == "" {
		return
	}
	sess := sub.sess
	sess.mu.Lock()
	defer sess.mu.Unlock()
	// Only while still pending and empty: another submission of the same
	// session may have stored into it, or committed it, meanwhile.
	if err := st.DeletePendingSource(ctx, sub.createdSource); errors.Is(err, store.ErrNotFound) {
		return
	} else if err != nil {
		sub.s.log.Error("source: unable to delete the source of a failed submission", "err", err)
		return
	}
	if sess.sourceID == sub.createdSource {
		sess.sourceID = ""
	}
	sub.createdSource = ""
}

// sanitizeFilename reduces a client-supplied name to a plain base name:
// no directories, no control characters, valid UTF-8, at most 255 bytes.
func sanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(path.Clean("/" + name))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '/' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > maxFilenameBytes {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." || name == "/" {
		return "attachment"
	}
	return name
}

func sanitizeContentType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || len(mt) > 100 {
		return "application/octet-stream"
	}
	return mt
}
