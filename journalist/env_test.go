package journalist

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

func TestMain(m *testing.M) {
	// Cheap Argon2id for the tests; TestPasswordHashParams checks the real ones.
	passwordParams = argonParams{memoryKiB: 1024, time: 1, threads: 1}
	os.Exit(m.Run())
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type env struct {
	t       testing.TB
	ctx     context.Context
	st      *store.Store
	srv     *Server
	ts      *httptest.Server
	clock   *testClock
	sub     *crypto.PrivateKey
	signing *crypto.SigningKey
}

// start is a fixed moment 5 s into a TOTP step.
var start = time.Date(2026, 3, 10, 12, 0, 5, 0, time.UTC)

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{MinFreeBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &testClock{t: start}
	st.SetClock(clock.Now)
	sub, err := crypto.GenerateSubmissionKey("Test Unit", crypto.ProfileGnuPG)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddSubmissionKey(ctx, sub.Fingerprint(), sub.Public().Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSettings(ctx, store.DefaultSettings); err != nil {
		t.Fatal(err)
	}
	signing, err := crypto.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{
		Store: st, Signing: signing, Now: clock.Now,
		NewClientAuth: func() (string, string, error) {
			return "PUBLICKEYPUBLICKEYPUBLICKEYPUBLICKEYPUBLICKEYPUBLICA", "onion:descriptor:x25519:PRIVATE", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{t: t, ctx: ctx, st: st, srv: srv, ts: ts, clock: clock, sub: sub, signing: signing}
}

// client is a browser: a cookie jar, redirects not followed.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) reviewer(name string, admin bool) *Credentials {
	e.t.Helper()
	c, err := e.srv.CreateReviewer(e.ctx, "test", name, admin)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) code(secret string) string {
	e.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clock.Now(), totpOpts)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) postForm(c *http.Client, path string, form url.Values, hdr ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func (e *env) get(c *http.Client, path string) *http.Response {
	e.t.Helper()
	resp, err := c.Get(e.ts.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loginWeb logs c in and fails the test if that does not work.
func (e *env) loginWeb(c *http.Client, cr *Credentials) {
	e.t.Helper()
	resp := e.postForm(c, "/login", url.Values{"username": {cr.Username}, "passphrase": {cr.Passphrase}, "one_time_code": {e.code(cr.TOTPSecret)}})
	b := body(e.t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		e.t.Fatalf("login: status %d, want 303 to /: %s", resp.StatusCode, b)
	}
	// The next login needs a new code: move to the next TOTP step.
	e.clock.Advance(totpPeriod * time.Second)
}

// apiCall makes a JSON API request; body may be nil, []byte or a value to encode.
func (e *env) apiCall(method, path, token string, reqBody any) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := reqBody.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, out
}

// token gets an API token and fails the test if that does not work.
func (e *env) token(cr *Credentials) string {
	e.t.Helper()
	resp, b := e.apiCall("POST", "/api/v1/token", "", map[string]string{
		"username": cr.Username, "passphrase": cr.Passphrase, "one_time_code": e.code(cr.TOTPSecret)})
	if resp.StatusCode != 200 {
		e.t.Fatalf("token: status %d: %s", resp.StatusCode, b)
	}
	var out struct{ Token, Expiration string }
	if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
		e.t.Fatalf("token: bad answer %s", b)
	}
	e.clock.Advance(totpPeriod * time.Second)
	return out.Token
}

func errCode(t testing.TB, b []byte) string {
	t.Helper()
	var out struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("not a JSON error: %s", b)
	}
	return out.Error.Code
}

// addSource makes a source with its own key pair (standing in for the
// codename-derived key).
func (e *env) addSource() (*store.Source, *crypto.PrivateKey) {
	e.t.Helper()
	k, err := crypto.GenerateSubmissionKey("source", crypto.ProfileGnuPG)
	if err != nil {
		e.t.Fatal(err)
	}
	lookup, _ := randomID()
	d, err := crypto.NewDesignation()
	if err != nil {
		e.t.Fatal(err)
	}
	src, err := e.st.CreateSource(e.ctx, lookup+lookup, k.Public().Bytes(), d)
	if err != nil {
		e.t.Fatal(err)
	}
	return src, k
}

// addItem stores a report encrypted to the submission key.
func (e *env) addItem(sourceID, plaintext string) *store.Item {
	e.t.Helper()
	ct, err := crypto.EncryptBytes([]byte(plaintext), e.sub.Public())
	if err != nil {
		e.t.Fatal(err)
	}
	it, err := e.st.AddItem(e.ctx, store.NewItem{SourceID: sourceID, Kind: store.KindMessage, Fingerprints: []string{e.sub.Fingerprint()}},
		func(w io.Writer) error { _, err := w.Write(ct); return err })
	if err != nil {
		e.t.Fatal(err)
	}
	return it
}
