package journalist

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPasswordHashParams(t *testing.T) {
	saved := passwordParams
	passwordParams = defaultArgon
	defer func() { passwordParams = saved }()
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=4,p=2$") {
		t.Fatalf("hash %q does not use Argon2id m=64MiB t=4 p=2", h)
	}
	if !verifyPassword(h, "correct horse battery staple") {
		t.Fatal("right passphrase refused")
	}
	if verifyPassword(h, "correct horse battery stapl") {
		t.Fatal("wrong passphrase accepted")
	}
}

func TestGeneratedCredentials(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	if n := len(strings.Fields(c.Passphrase)); n < 7 {
		t.Fatalf("passphrase has %d words, want at least 7", n)
	}
	if !strings.HasPrefix(c.TOTPURI, "otpauth://totp/") || !strings.Contains(c.TOTPURI, "secret="+c.TOTPSecret) {
		t.Fatalf("TOTP URI %q", c.TOTPURI)
	}
	r, err := e.st.ReviewerByName(e.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.PasswordHash, c.Passphrase) || !strings.HasPrefix(r.PasswordHash, "$argon2id$") {
		t.Fatalf("stored hash %q", r.PasswordHash)
	}
	if _, err := e.srv.CreateReviewer(e.ctx, "test", "alice", false); err == nil {
		t.Fatal("duplicate user name accepted")
	}
	if _, err := e.srv.CreateReviewer(e.ctx, "test", "bad name<", false); err == nil {
		t.Fatal("bad user name accepted")
	}
}

func TestLoginSuccess(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	cl := e.client()
	resp := e.postForm(cl, "/login", url.Values{"username": {"alice"}, "passphrase": {c.Passphrase}, "one_time_code": {e.code(c.TOTPSecret)}})
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == cookieName {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie missing or not HttpOnly+SameSite=Strict: %+v", cookie)
	}
	resp = e.get(cl, "/")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, "Sources") {
		t.Fatalf("sources page after login: %d", resp.StatusCode)
	}
	// The database holds only the hash of the session id.
	if _, err := e.st.Session(e.ctx, cookie.Value); err == nil {
		t.Fatal("raw session id found in the database")
	}
	if _, err := e.st.Session(e.ctx, hashToken(cookie.Value)); err != nil {
		t.Fatalf("session hash not stored: %v", err)
	}

	// A new login makes a new session and ends the one presented.
	e.clock.Advance(30 * time.Second)
	resp = e.postForm(cl, "/login", url.Values{"username": {"alice"}, "passphrase": {c.Passphrase}, "one_time_code": {e.code(c.TOTPSecret)}})
	body(t, resp)
	var second string
	for _, ck := range resp.Cookies() {
		if ck.Name == cookieName {
			second = ck.Value
		}
	}
	if second == "" || second == cookie.Value {
		t.Fatal("session id not regenerated at login")
	}
	old := e.client()
	old.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: cookieName, Value: cookie.Value}})
	if resp := e.get(old, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("old session still valid after a new login: %d", resp.StatusCode)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestLoginFailures(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	wrongCode := func() string {
		good := e.code(c.TOTPSecret)
		if good == "000000" {
			return "000001"
		}
		return "000000"
	}
	now := func() string { return e.code(c.TOTPSecret) }
	cases := []struct {
		name, user, pass string
		code             func() string
	}{
		{"bad passphrase", "alice", c.Passphrase + "x", now},
		{"bad code", "alice", c.Passphrase, wrongCode},
		{"code of two steps ago", "alice", c.Passphrase, func() string {
			e.clock.Advance(-60 * time.Second)
			defer e.clock.Advance(60 * time.Second)
			return e.code(c.TOTPSecret)
		}},
		{"unknown user", "mallory", c.Passphrase, now},
		{"empty", "", "", func() string { return "" }},
	}
	var firstMsg string
	for _, tc := range cases {
		e.clock.Advance(61 * time.Second) // stay under the throttle
		t.Run(tc.name, func(t *testing.T) {
			cl := e.client()
			code := tc.code()
			resp := e.postForm(cl, "/login", url.Values{"username": {tc.user}, "passphrase": {tc.pass}, "one_time_code": {code}})
			b := body(t, resp)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			if !strings.Contains(b, "Login failed") {
				t.Fatalf("no failure message")
			}
			msg := b[strings.Index(b, "Login failed"):]
			msg = msg[:strings.Index(msg, "<")]
			if firstMsg == "" {
				firstMsg = msg
			} else if msg != firstMsg {
				t.Fatalf("message %q differs from %q: it tells failures apart", msg, firstMsg)
			}
			for _, ck := range resp.Cookies() {
				if ck.Name == cookieName && ck.Value != "" {
					t.Fatal("a session cookie was set on a failed login")
				}
			}
			// The API answers alike.
			r2, b2 := e.apiCall("POST", "/api/v1/token", "", map[string]string{"username": tc.user, "passphrase": tc.pass, "one_time_code": code})
			if r2.StatusCode != 401 || errCode(t, b2) != "login_failed" {
				t.Fatalf("API: %d %s", r2.StatusCode, b2)
			}
		})
	}
}

func TestLoginReusedCodeRefused(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	code := e.code(c.TOTPSecret)
	form := url.Values{"username": {"alice"}, "passphrase": {c.Passphrase}, "one_time_code": {code}}
	resp := e.postForm(e.client(), "/login", form)
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first use: %d", resp.StatusCode)
	}
	// Same code again, same step and the next one (still inside the ±1 window).
	for _, d := range []time.Duration{0, 20 * time.Second} {
		e.clock.Advance(d)
		resp = e.postForm(e.client(), "/login", form)
		body(t, resp)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("reused code accepted (after %v): %d", d, resp.StatusCode)
		}
	}
	// The code of an earlier step than the last accepted one is refused too.
	e.clock.Advance(30 * time.Second)
	if resp := e.postForm(e.client(), "/login", form); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("older code accepted: %d", resp.StatusCode)
	}
	// A fresh code works.
	e.loginWeb(e.client(), c)
}

func TestLoginAdjacentStepAccepted(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	e.clock.Advance(-30 * time.Second)
	prev := e.code(c.TOTPSecret)
	e.clock.Advance(30 * time.Second)
	resp := e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "passphrase": {c.Passphrase}, "one_time_code": {prev}})
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("code of the previous step refused: %d", resp.StatusCode)
	}
}

func TestLoginThrottled(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	for i := 0; i < loginAttemptsLimit; i++ {
		resp := e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "passphrase": {"wrong"}, "one_time_code": {"123456"}})
		body(t, resp)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
		e.clock.Advance(time.Second)
	}
	// Right credentials, but too many attempts this minute.
	resp := e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "passphrase": {c.Passphrase}, "one_time_code": {e.code(c.TOTPSecret)}})
	b := body(t, resp)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(b, "Too many login attempts") {
		t.Fatalf("not throttled: %d", resp.StatusCode)
	}
	r2, b2 := e.apiCall("POST", "/api/v1/token", "", map[string]string{"username": "alice", "passphrase": c.Passphrase, "one_time_code": e.code(c.TOTPSecret)})
	if r2.StatusCode != 429 || errCode(t, b2) != "throttled" {
		t.Fatalf("API not throttled: %d %s", r2.StatusCode, b2)
	}
	// Another account is not affected.
	bob := e.reviewer("bob", false)
	e.loginWeb(e.client(), bob)
	// A minute later alice can log in.
	e.clock.Advance(61 * time.Second)
	e.loginWeb(e.client(), c)

	// Unknown user names are throttled the same way, so the throttle
	// message does not reveal which names exist.
	for i := 0; i < loginAttemptsLimit; i++ {
		body(t, e.postForm(e.client(), "/login", url.Values{"username": {"nobody"}, "passphrase": {"x"}, "one_time_code": {"123456"}}))
	}
	resp = e.postForm(e.client(), "/login", url.Values{"username": {"nobody"}, "passphrase": {"x"}, "one_time_code": {"123456"}})
	body(t, resp)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("unknown user not throttled like a known one: %d", resp.StatusCode)
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)

	t.Run("idle", func(t *testing.T) {
		cl := e.client()
		e.loginWeb(cl, c)
		e.clock.Advance(webIdle - 31*time.Second) // loginWeb moved 30 s
		if resp := e.get(cl, "/"); resp.StatusCode != 200 {
			t.Fatalf("session ended before the idle timeout: %d", resp.StatusCode)
		}
		e.clock.Advance(webIdle)
		resp := e.get(cl, "/")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Fatalf("idle session still valid: %d", resp.StatusCode)
		}
		// A POST with an expired session changes nothing and says so.
		src, _ := e.addSource()
		resp = e.postForm(cl, "/sources/"+src.ID+"/star", url.Values{"starred": {"1"}})
		body(t, resp)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("POST with an expired session: %d", resp.StatusCode)
		}
		if got, _ := e.st.Source(e.ctx, src.ID); got.Starred {
			t.Fatal("expired session changed state")
		}
	})
	t.Run("absolute", func(t *testing.T) {
		cl := e.client()
		e.loginWeb(cl, c)
		for elapsed := time.Duration(0); elapsed < webLifetime-20*time.Minute; elapsed += 20 * time.Minute {
			e.clock.Advance(20 * time.Minute)
			if resp := e.get(cl, "/"); resp.StatusCode != 200 {
				t.Fatalf("active session ended early at %v: %d", elapsed, resp.StatusCode)
			}
		}
		e.clock.Advance(20 * time.Minute)
		if resp := e.get(cl, "/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session valid beyond its absolute lifetime: %d", resp.StatusCode)
		}
	})
	t.Run("api", func(t *testing.T) {
		tok := e.token(c)
		if resp, _ := e.apiCall("GET", "/api/v1/sources", tok, nil); resp.StatusCode != 200 {
			t.Fatalf("fresh token refused: %d", resp.StatusCode)
		}
		for i := 0; i < int(apiLifetime/time.Hour); i++ {
			e.clock.Advance(time.Hour)
			e.apiCall("GET", "/api/v1/sources", tok, nil)
		}
		resp, b := e.apiCall("GET", "/api/v1/sources", tok, nil)
		if resp.StatusCode != 401 || errCode(t, b) != "unauthorized" {
			t.Fatalf("expired token accepted: %d %s", resp.StatusCode, b)
		}
	})
}

func TestCSRFRefused(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	cl := e.client()
	e.loginWeb(cl, c)
	src, _ := e.addSource()
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "http://evil.example"},
	} {
		resp := e.postForm(cl, "/sources/"+src.ID+"/star", url.Values{"starred": {"1"}}, hdr...)
		body(t, resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-origin POST (%s) not refused: %d", hdr[0], resp.StatusCode)
		}
		if got, _ := e.st.Source(e.ctx, src.ID); got.Starred {
			t.Fatalf("cross-origin POST (%s) changed state", hdr[0])
		}
	}
	// The same request from the same origin works.
	resp := e.postForm(cl, "/sources/"+src.ID+"/star", url.Values{"starred": {"1"}}, "Sec-Fetch-Site", "same-origin")
	body(t, resp)
	if got, _ := e.st.Source(e.ctx, src.ID); resp.StatusCode != http.StatusSeeOther || !got.Starred {
		t.Fatalf("same-origin POST failed: %d", resp.StatusCode)
	}
	// Cross-site login attempts are refused too (login CSRF).
	resp = e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "passphrase": {c.Passphrase}, "one_time_code": {e.code(c.TOTPSecret)}}, "Sec-Fetch-Site", "cross-site")
	body(t, resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site login: %d", resp.StatusCode)
	}
}

func TestAPIAndPagesDoNotShareCredentials(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	cl := e.client()
	e.loginWeb(cl, c)
	var cookie string
	for _, ck := range cl.Jar.Cookies(mustURL(e.ts.URL)) {
		if ck.Name == cookieName {
			cookie = ck.Value
		}
	}
	// The cookie is not an API token (no CSRF through the API).
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/sources", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if resp.StatusCode != 401 {
		t.Fatalf("cookie accepted by the API: %d", resp.StatusCode)
	}
	if r, _ := e.apiCall("GET", "/api/v1/sources", cookie, nil); r.StatusCode != 401 {
		t.Fatalf("web session id accepted as an API token: %d", r.StatusCode)
	}
	// An API token is not a web session.
	tok := e.token(c)
	web := e.client()
	web.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: cookieName, Value: tok}})
	if resp := e.get(web, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("API token accepted as a web session: %d", resp.StatusCode)
	}
}

func TestSessionsEndOnResetAndRemoval(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	cl := e.client()
	e.loginWeb(cl, c)
	tok := e.token(c)
	r, _ := e.st.ReviewerByName(e.ctx, "alice")
	nc, err := e.srv.ResetReviewer(e.ctx, "test", r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if resp := e.get(cl, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("web session survived a password reset: %d", resp.StatusCode)
	}
	if resp, _ := e.apiCall("GET", "/api/v1/sources", tok, nil); resp.StatusCode != 401 {
		t.Fatalf("API token survived a password reset: %d", resp.StatusCode)
	}
	// The old passphrase no longer works, the new one does.
	resp := e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "passphrase": {c.Passphrase}, "one_time_code": {e.code(nc.TOTPSecret)}})
	body(t, resp)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old passphrase accepted after reset: %d", resp.StatusCode)
	}
	e.clock.Advance(30 * time.Second)
	cl = e.client()
	e.loginWeb(cl, nc)
	tok = e.token(nc)
	if err := e.srv.RemoveReviewer(e.ctx, "test", r.ID); err != nil {
		t.Fatal(err)
	}
	if resp := e.get(cl, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("web session survived removal: %d", resp.StatusCode)
	}
	if resp, _ := e.apiCall("GET", "/api/v1/sources", tok, nil); resp.StatusCode != 401 {
		t.Fatalf("API token survived removal: %d", resp.StatusCode)
	}
	if keys, _ := e.st.ClientAuthKeys(e.ctx); len(keys) != 0 {
		t.Fatalf("client-auth key of a removed reviewer still listed: %v", keys)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/login", "/api/v1/sources", "/nope"} {
		resp := e.get(e.client(), p)
		body(t, resp)
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: missing security headers: %v", p, h)
		}
	}
}

// BenchmarkVerifyPassword measures one login's Argon2id work with the
// production parameters (m=64 MiB, t=4, p=2).
func BenchmarkVerifyPassword(b *testing.B) {
	saved := passwordParams
	passwordParams = defaultArgon
	defer func() { passwordParams = saved }()
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !verifyPassword(h, "correct horse battery staple") {
			b.Fatal("refused")
		}
	}
}

func TestAPITokenLogout(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.reviewer("alice", false))
	resp, out := e.apiCall("GET", "/api/v1/me", tok, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(out), `"username":"alice"`) {
		t.Fatalf("me: %d %s", resp.StatusCode, out)
	}
	if resp, _ := e.apiCall("DELETE", "/api/v1/token", tok, nil); resp.StatusCode != 204 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := e.apiCall("GET", "/api/v1/me", tok, nil); resp.StatusCode != 401 {
		t.Fatalf("token valid after logout: %d", resp.StatusCode)
	}
	if resp, out := e.apiCall("POST", "/api/v1/token", "", []byte(`{"username":"alice","passphrase":"x","one_time_code":"1","extra":1}`)); resp.StatusCode != 400 || errCode(t, out) != "bad_request" {
		t.Fatalf("unknown field: %d %s", resp.StatusCode, out)
	}
	if resp, out := e.apiCall("GET", "/api/v1/nope", tok, nil); resp.StatusCode != 404 || errCode(t, out) != "not_found" {
		t.Fatalf("unknown route: %d %s", resp.StatusCode, out)
	}
}

func TestWebLogout(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	cl := e.client()
	e.loginWeb(cl, c)
	var tok string
	for _, ck := range cl.Jar.Cookies(mustURL(e.ts.URL)) {
		if ck.Name == cookieName {
			tok = ck.Value
		}
	}
	resp := e.postForm(cl, "/logout", nil)
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if _, err := e.st.Session(e.ctx, hashToken(tok)); err == nil {
		t.Fatal("session still stored after logout")
	}
	old := e.client()
	old.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: cookieName, Value: tok}})
	if resp := e.get(old, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("session valid after logout: %d", resp.StatusCode)
	}
}

// BenchmarkLogin compares a failed login on an existing account with one
// on an unknown user name, with the production Argon2id parameters: they
// should take the same time (no user enumeration by timing).
func BenchmarkLogin(b *testing.B) {
	saved := passwordParams
	passwordParams = defaultArgon
	defer func() { passwordParams = saved }()
	e := newEnv(b)
	e.reviewer("alice", false)
	dummyVerify("warm up")
	for _, name := range []string{"alice", "unknown"} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				e.clock.Advance(time.Minute) // stay under the throttle
				if _, err := e.srv.authenticate(e.ctx, name, "wrong passphrase", "123456"); err != errLoginFailed {
					b.Fatal(err)
				}
			}
		})
	}
}
