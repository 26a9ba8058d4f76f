package source

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// Store is the part of *store.Store the source interface uses.
type Store interface {
	Settings(ctx context.Context) (store.Settings, error)
	CreateSource(ctx context.Context, lookupID string, pub []byte, designation string) (*store.Source, error)
	SourceByLookupID(ctx context.Context, lookupID string) (*store.Source, error)
	Source(ctx context.Context, id string) (*store.Source, error)
	TouchSource(ctx context.Context, id string) error
	DeleteSource(ctx context.Context, id string) error
	AddItem(ctx context.Context, n store.NewItem, write func(io.Writer) error) (*store.Item, error)
	Item(ctx context.Context, id string) (*store.Item, error)
	OpenItem(ctx context.Context, id string) (io.ReadCloser, *store.Item, error)
	Items(ctx context.Context, sourceID string) ([]store.Item, error)
	DeleteItem(ctx context.Context, id string) error
	// A submission is stored pending and committed at once (store/pending.go).
	CreatePendingSource(ctx context.Context, lookupID string, pub []byte, designation string) (*store.Source, error)
	CommitItems(ctx context.Context, ids []string) error
	DeletePendingSource(ctx context.Context, id string) error
}

var _ Store = (*store.Store)(nil)

// Config holds the dependencies and limits of the source interface.
type Config struct {
	Store  Store
	Pepper []byte           // the instance pepper for crypto.DeriveSource
	KDF    crypto.KDFParams // the instance's KDF parameters
	// SubmissionKeys returns the active submission keys. It is called for
	// every submission, so a key added or retired takes effect at once.
	SubmissionKeys func(ctx context.Context) ([]*crypto.PublicKey, error)
	// OnionHost, when not empty, is the only Host served ("xxxx.onion");
	// any other gets a warning page.
	OnionHost string
	Logger    *slog.Logger
	// MaxConcurrentKDF bounds simultaneous codename derivations. 0 means
	// 2, lowered so that Argon2id lanes never take more than half the CPUs
	// (but at least 1): on a 2-core server with Threads=2 that is 1, which
	// keeps page latency low during a login flood (docs/performance.md).
	MaxConcurrentKDF int
	// MaxKDFQueue bounds the requests waiting for a KDF slot; beyond it a
	// "busy, try again" page is shown at once. 0 means 32.
	MaxKDFQueue int
	// KDFWait is how long a login waits for a KDF slot. 0 means 30 s.
	KDFWait time.Duration
	// SessionIdle is the idle timeout of a session. 0 means 30 minutes.
	SessionIdle time.Duration
	// MaxSessions bounds the sessions held in memory. 0 means 100000.
	MaxSessions int
	// UploadStall is how long an upload may go without delivering a single
	// byte before the connection is dropped and the submission discarded.
	// 0 means 2 minutes: generous for Tor, but a client cannot hold a
	// connection open forever by trickling a body.
	UploadStall time.Duration
	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
}

// Server is the source interface. It is safe for concurrent use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	pages    map[string]*template.Template
	static   fs.FS
	sessions *sessions
	kdf      *kdfLimiter
	handler  http.Handler

	settingsMu   sync.Mutex
	settings     store.Settings
	settingsTime time.Time

	closeOnce sync.Once
	done      chan struct{}
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New checks cfg, parses the templates and starts the session janitor.
// Call Close to stop it.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.SubmissionKeys == nil {
		return nil, errors.New("source: Store and SubmissionKeys are required")
	}
	if len(cfg.Pepper) == 0 {
		return nil, errors.New("source: the instance pepper is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxConcurrentKDF <= 0 {
		cfg.MaxConcurrentKDF = defaultKDFSlots(runtime.GOMAXPROCS(0), cfg.KDF.Threads)
	}
	if cfg.MaxKDFQueue <= 0 {
		cfg.MaxKDFQueue = 32
	}
	if cfg.KDFWait <= 0 {
		cfg.KDFWait = 30 * time.Second
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = 30 * time.Minute
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 100000
	}
	if cfg.UploadStall <= 0 {
		cfg.UploadStall = 2 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		pages:    pages,
		static:   static,
		sessions: newSessions(cfg.SessionIdle, cfg.MaxSessions, cfg.Now),
		kdf:      newKDFLimiter(cfg.MaxConcurrentKDF, cfg.MaxKDFQueue, cfg.KDFWait),
		done:     make(chan struct{}),
	}
	s.handler = s.routes()
	go s.janitor()
	return s, nil
}

// Handler returns the HTTP handler of the interface, security headers,
// method filter, Host check and cross-origin protection included.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the session janitor and forgets every session.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.sessions.clear()
	})
	return nil
}

func (s *Server) janitor() {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.sessions.sweep()
		}
	}
}

// instanceSettings returns the store's settings, cached for a few seconds.
// On error it falls back to the defaults (and logs).
func (s *Server) instanceSettings(ctx context.Context) store.Settings {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	now := s.cfg.Now()
	if !s.settingsTime.IsZero() && now.Sub(s.settingsTime) < 5*time.Second && now.After(s.settingsTime) {
		return s.settings
	}
	st, err := s.cfg.Store.Settings(ctx)
	if err != nil {
		s.log.Error("source: unable to read the instance settings; using defaults", "err", err)
		st = store.DefaultSettings
	}
	if st.MaxUploadBytes <= 0 {
		st.MaxUploadBytes = store.DefaultSettings.MaxUploadBytes
	}
	s.settings, s.settingsTime = st, now
	return st
}

func randomID() string {
	return rand.Text() + rand.Text()
}

var errNotFound = store.ErrNotFound

// defaultKDFSlots is 2, or fewer so that the Argon2id lanes of all running
// derivations use at most half of the CPUs; never less than 1.
func defaultKDFSlots(cpus int, threads uint8) int {
	lanes := max(int(threads), 1)
	return min(2, max(1, cpus/(2*lanes)))
}
