package journalist

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/candor-drop/candor/store"
)

// Session lifetimes.
const (
	webIdle     = 30 * time.Minute
	webLifetime = 10 * time.Hour
	apiIdle     = 2 * time.Hour
	apiLifetime = 8 * time.Hour
	cookieName  = "candor_session"
)

func lifetimes(kind string) (idle, absolute time.Duration) {
	if kind == "api" {
		return apiIdle, apiLifetime
	}
	return webIdle, webLifetime
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// newSession stores a new session for a reviewer that has just
// authenticated and returns its token and absolute expiry. If the
// reviewer's credentials were reset (or the reviewer removed) since they
// were checked, it returns errLoginFailed and makes no session.
func (s *Server) newSession(ctx context.Context, rv *store.Reviewer, kind string) (string, time.Time, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, err
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	err := s.st.CreateSessionIfCurrent(ctx, store.ReviewerSession{
		IDHash: hashToken(tok), ReviewerID: rv.ID, Kind: kind,
		CreatedUnix: now.Unix(), LastSeenUnix: now.Unix(),
	}, rv.PasswordHash, rv.TOTPSecret)
	if errors.Is(err, store.ErrNotFound) {
		return "", time.Time{}, errLoginFailed
	}
	if err != nil {
		return "", time.Time{}, err
	}
	_, abs := lifetimes(kind)
	return tok, now.Add(abs), nil
}

var errNoSession = errors.New("journalist: no valid session")

// sessionReviewer resolves a token to its reviewer, enforcing the kind,
// the idle and absolute lifetimes; an expired session is deleted.
func (s *Server) sessionReviewer(ctx context.Context, tok, kind string) (*store.Reviewer, error) {
	if tok == "" || len(tok) > 100 {
		return nil, errNoSession
	}
	h := hashToken(tok)
	sess, err := s.st.Session(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if sess.Kind != kind {
		return nil, errNoSession
	}
	now := s.now().Unix()
	idle, abs := lifetimes(kind)
	if now-sess.CreatedUnix >= int64(abs/time.Second) || now-sess.LastSeenUnix >= int64(idle/time.Second) {
		s.st.DeleteSession(ctx, h)
		return nil, errNoSession
	}
	r, err := s.st.Reviewer(ctx, sess.ReviewerID)
	if errors.Is(err, store.ErrNotFound) {
		s.st.DeleteSession(ctx, h)
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if now-sess.LastSeenUnix >= 30 {
		if err := s.st.TouchSession(ctx, h, now); err != nil {
			return nil, err
		}
	}
	return r, nil
}

type ctxKey struct{}

// reviewerFrom returns the signed-in reviewer of a request that passed
// requireWeb or requireAPI.
func reviewerFrom(r *http.Request) *store.Reviewer {
	rv, _ := r.Context().Value(ctxKey{}).(*store.Reviewer)
	return rv
}

// requireWeb lets a request through only with a valid web session cookie
// (and, when admin is true, only for an admin, read from the database now).
func (s *Server) requireWeb(h http.HandlerFunc, admin bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tok string
		if c, err := r.Cookie(cookieName); err == nil {
			tok = c.Value
		}
		rv, err := s.sessionReviewer(r.Context(), tok, "web")
		if errors.Is(err, errNoSession) {
			clearCookie(w)
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			s.renderError(w, r, http.StatusUnauthorized, "Your session has ended. Log in again.")
			return
		}
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if admin && !rv.Admin {
			s.renderError(w, r, http.StatusForbidden, "Only an admin can do this.")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rv)))
	})
}

// requireAPI lets a request through only with a valid
// "Authorization: Token …" header (never the cookie).
func (s *Server) requireAPI(h http.HandlerFunc, admin bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Token ")
		if !ok {
			apiError(w, errAPIUnauthorized)
			return
		}
		rv, err := s.sessionReviewer(r.Context(), strings.TrimSpace(tok), "api")
		if errors.Is(err, errNoSession) {
			apiError(w, errAPIUnauthorized)
			return
		}
		if err != nil {
			s.apiInternal(w, err)
			return
		}
		if admin && !rv.Admin {
			apiError(w, errAPIForbidden)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rv)))
	})
}

func setSessionCookie(w http.ResponseWriter, tok string) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
}

func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
}

// securityHeaders sets the headers every response carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.ServeHTTP(w, r)
	})
}
