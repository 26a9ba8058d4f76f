package source

import (
	"net/http"
	"sync"
	"time"

	"github.com/candor-drop/candor/crypto"
)

const sessionCookie = "session"

// session is the server-side state of one reporter's visit. It lives in
// memory only. It holds the identity derived from the codename, never the
// codename.
type session struct {
	mu       sync.Mutex
	id       string
	identity *crypto.SourceIdentity
	sourceID string // empty until the first submission stored the source
	flash    *flash // one-time message for the next page
	lastSeen time.Time
}

// flash is a message shown once, on the page after a redirect.
type flash struct {
	Sent        bool // a submission was received and stored
	ReportSaved bool
	Files       int
	Deleted     bool // a reply was deleted
}

func (s *session) takeFlash() *flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flash
	s.flash = nil
	return f
}

func (s *session) setFlash(f *flash) {
	s.mu.Lock()
	s.flash = f
	s.mu.Unlock()
}

func (s *session) source() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sourceID
}

type sessions struct {
	mu   sync.Mutex
	m    map[string]*session
	idle time.Duration
	max  int
	now  func() time.Time
}

func newSessions(idle time.Duration, max int, now func() time.Time) *sessions {
	return &sessions{m: make(map[string]*session), idle: idle, max: max, now: now}
}

// create starts a new session for id, replacing the session of the request
// (if any), and sets the cookie. It returns nil when the server holds too
// many sessions already.
func (ss *sessions) create(w http.ResponseWriter, r *http.Request, id *crypto.SourceIdentity, sourceID string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if c, err := r.Cookie(sessionCookie); err == nil {
		delete(ss.m, c.Value)
	}
	if len(ss.m) >= ss.max {
		ss.sweepLocked()
		if len(ss.m) >= ss.max {
			return nil
		}
	}
	s := &session{id: randomID(), identity: id, sourceID: sourceID, lastSeen: ss.now()}
	ss.m[s.id] = s
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    s.id,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	return s
}

// get returns the live session of the request, or nil. It refreshes the
// idle timer.
func (ss *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[c.Value]
	if !ok {
		return nil
	}
	now := ss.now()
	if now.Sub(s.lastSeen) > ss.idle {
		delete(ss.m, c.Value)
		return nil
	}
	s.lastSeen = now
	return s
}

// destroy forgets the session of the request and clears the cookie.
func (ss *sessions) destroy(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		ss.mu.Lock()
		delete(ss.m, c.Value)
		ss.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
}

func (ss *sessions) sweep() {
	ss.mu.Lock()
	ss.sweepLocked()
	ss.mu.Unlock()
}

func (ss *sessions) sweepLocked() {
	now := ss.now()
	for k, s := range ss.m {
		if now.Sub(s.lastSeen) > ss.idle {
			delete(ss.m, k)
		}
	}
}

func (ss *sessions) clear() {
	ss.mu.Lock()
	clear(ss.m)
	ss.mu.Unlock()
}

func (ss *sessions) len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.m)
}
