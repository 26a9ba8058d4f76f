package journalist

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config holds what the journalist interface depends on.
type Config struct {
	Store *store.Store
	// Signing signs export bundle manifests (the server key).
	Signing *crypto.SigningKey
	// SubmissionKeys returns the active submission keys; online replies
	// and notes are encrypted to them (and to the source key).
	SubmissionKeys func(ctx context.Context) ([]*crypto.PublicKey, error)
	// NewClientAuth makes a reviewer's x25519 client-authorization key pair
	// for the journalist onion service: public is the base32 public key tor
	// publishes; line is the reviewer's ClientOnionAuthDir file content. Nil:
	// reviewers are created without one.
	NewClientAuth func() (public, line string, err error)
	Logger        *slog.Logger
	// Now is the clock (UTC); nil means time.Now.
	Now func() time.Time
}

// Server is the journalist interface. Create it with New.
type Server struct {
	st            *store.Store
	signing       *crypto.SigningKey
	submission    func(ctx context.Context) ([]*crypto.PublicKey, error)
	newClientAuth func() (string, string, error)
	log           *slog.Logger
	now           func() time.Time
	pages         map[string]*template.Template

	throttleMu sync.Mutex
	unknown    map[string][]int64 // login attempts on unknown user names (memory only)
	inflight   map[int64]int      // login attempts on known accounts not yet recorded

	retentionListed func(ids []string) // tests: runs between RunRetention's listing and its deletes
}

// New checks the configuration and parses the templates.
func New(c Config) (*Server, error) {
	if c.Store == nil {
		return nil, errors.New("journalist: Config.Store is nil")
	}
	s := &Server{
		st:            c.Store,
		signing:       c.Signing,
		submission:    c.SubmissionKeys,
		newClientAuth: c.NewClientAuth,
		log:           c.Logger,
		now:           c.Now,
		unknown:       map[string][]int64{},
		inflight:      map[int64]int{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.submission == nil {
		s.submission = s.storeSubmissionKeys
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	return s, nil
}

func (s *Server) today() string { return s.now().UTC().Format("2006-01-02") }

// storeSubmissionKeys parses the active submission keys from the store.
func (s *Server) storeSubmissionKeys(ctx context.Context) ([]*crypto.PublicKey, error) {
	ks, err := s.st.SubmissionKeys(ctx, true)
	if err != nil {
		return nil, err
	}
	var out []*crypto.PublicKey
	for _, k := range ks {
		pk, err := crypto.ParsePublicKey(k.PublicKey)
		if err != nil {
			return nil, err
		}
		out = append(out, pk)
	}
	return out, nil
}

// route is one registered handler.
type route struct {
	pattern string
	h       http.HandlerFunc
}

// Handler returns the journalist interface: pages, static files and the
// JSON API under /api/v1/, with security headers and cross-origin
// protection on every response.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))

	// Pages open to anyone.
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.loginPost)
	mux.HandleFunc("POST /api/v1/token", s.apiToken)

	for _, r := range s.reviewerRoutes() {
		mux.Handle(r.pattern, s.requireWeb(r.h, false))
	}
	for _, r := range s.adminRoutes() {
		mux.Handle(r.pattern, s.requireWeb(r.h, true))
	}
	for _, r := range s.apiRoutes() {
		mux.Handle(r.pattern, s.requireAPI(r.h, false))
	}
	for _, r := range s.adminAPIRoutes() {
		mux.Handle(r.pattern, s.requireAPI(r.h, true))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, errAPINotFound)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusNotFound, "That page does not exist.")
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPI(r) {
			apiError(w, errCrossOrigin)
			return
		}
		s.renderError(w, r, http.StatusForbidden, "This request came from another site and was refused.")
	}))
	return securityHeaders(cop.Handler(mux))
}

// reviewerRoutes are the pages every signed-in reviewer may use.
func (s *Server) reviewerRoutes() []route {
	return []route{
		{"GET /{$}", s.sourcesPage},
		{"POST /logout", s.logoutPost},
		{"GET /sources/{id}", s.sourcePage},
		{"POST /sources/{id}/star", s.starPost},
		{"POST /sources/{id}/status", s.statusPost},
		{"POST /sources/{id}/reply", s.replyPost},
		{"POST /sources/{id}/delete", s.deleteSourcePost},
		{"POST /sources/{id}/delete-items", s.deleteSourceItemsPost},
		{"GET /items/{id}", s.itemDownload},
		{"POST /items/{id}/delete", s.deleteItemPost},
		{"POST /export", s.exportPost},
		{"GET /replies", s.repliesPage},
		{"POST /replies", s.repliesPost},
	}
}

// adminRoutes are the admin pages; they are registered only behind the
// admin check.
func (s *Server) adminRoutes() []route {
	return []route{
		{"GET /admin", s.adminPage},
		{"POST /admin/reviewers", s.adminAddReviewer},
		{"POST /admin/reviewers/{id}/remove", s.adminRemoveReviewer},
		{"POST /admin/reviewers/{id}/reset", s.adminResetReviewer},
		{"POST /admin/reviewers/{id}/admin", s.adminSetAdmin},
		{"POST /admin/submission-keys", s.adminAddSubmissionKey},
		{"POST /admin/submission-keys/{fpr}/retire", s.adminRetireSubmissionKey},
		{"POST /admin/settings", s.adminSettingsPost},
	}
}

// apiRoutes are the JSON API for every reviewer.
func (s *Server) apiRoutes() []route {
	return []route{
		{"DELETE /api/v1/token", s.apiLogout},
		{"GET /api/v1/sources", s.apiSources},
		{"GET /api/v1/sources/{id}", s.apiSource},
		{"GET /api/v1/sources/{id}/items", s.apiItems},
		{"POST /api/v1/sources/{id}/status", s.apiStatus},
		{"POST /api/v1/sources/{id}/star", s.apiStar},
		{"POST /api/v1/sources/{id}/reply", s.apiReply},
		{"DELETE /api/v1/sources/{id}", s.apiDeleteSource},
		{"DELETE /api/v1/sources/{id}/items", s.apiDeleteSourceItems},
		{"GET /api/v1/items/{id}", s.apiItem},
		{"DELETE /api/v1/items/{id}", s.apiDeleteItem},
		{"POST /api/v1/export", s.apiExport},
		{"POST /api/v1/replies", s.apiReplies},
		{"GET /api/v1/me", s.apiMe},
	}
}

// adminAPIRoutes are the admin functions of the JSON API; they are
// registered only behind the admin check.
func (s *Server) adminAPIRoutes() []route {
	return []route{
		{"GET /api/v1/reviewers", s.apiReviewers},
		{"POST /api/v1/reviewers", s.apiAddReviewer},
		{"DELETE /api/v1/reviewers/{id}", s.apiRemoveReviewer},
		{"POST /api/v1/reviewers/{id}/reset", s.apiResetReviewer},
		{"POST /api/v1/reviewers/{id}/admin", s.apiSetAdmin},
		{"GET /api/v1/submission-keys", s.apiSubmissionKeys},
		{"POST /api/v1/submission-keys", s.apiAddSubmissionKey},
		{"POST /api/v1/submission-keys/{fpr}/retire", s.apiRetireSubmissionKey},
		{"GET /api/v1/settings", s.apiSettings},
		{"POST /api/v1/settings", s.apiSaveSettings},
		{"GET /api/v1/audit", s.apiAudit},
	}
}
