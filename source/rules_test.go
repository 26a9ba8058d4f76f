package source

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

var scriptRE = regexp.MustCompile(`(?i)<\s*script|javascript:|\son[a-z]+\s*=`)

// allPages visits every kind of page, logged out and logged in, including
// problem pages, and returns them by name.
func allPages(t *testing.T, e *env) map[string]page {
	c := e.client()
	pages := map[string]page{
		"landing":          c.get("/"),
		"codename":         c.get("/new"),
		"login":            c.get("/login"),
		"logout":           c.get("/logout"),
		"css":              c.get("/static/style.css"),
		"not found":        c.get("/nope"),
		"report no sess":   c.get("/report"),
		"history no sess":  c.get("/history"),
		"wrong codename":   c.postForm("/login", url.Values{"codename": {"a b c d e f g"}}),
		"too long":         c.postForm("/login", url.Values{"codename": {strings.Repeat("a", 300)}}),
		"head landing":     c.do(mustReq("HEAD", e.ts.URL+"/")),
		"put":              c.do(mustReq("PUT", e.ts.URL+"/")),
		"cross origin":     c.do(crossSite(mustReq("POST", e.ts.URL+"/login"))),
		"tor2web":          c.do(withHeader(mustReq("GET", e.ts.URL+"/"), "X-Tor2web", "1")),
		"submit no sess":   c.submit(report{fields: map[string]string{"message": "x"}}),
		"logout redirect":  c.postForm("/logout", nil),
		"sent no sess":     c.get("/sent"),
		"delete no sess":   c.postForm("/replies/00/delete", nil),
		"new bad codename": c.postForm("/new", url.Values{"codename": {"not a codename"}}),
	}
	codename, form := c.newCodename()
	pages["first form"] = form
	pages["empty"] = c.submit(report{fields: map[string]string{"message": " "}})
	pages["submit"] = c.submit(report{fields: map[string]string{"message": "m"}, files: []filePart{{"a.txt", "", []byte("a")}}})
	pages["sent"] = c.get("/sent")
	pages["form"] = c.get("/report")
	e.addReply(codename, "a reply <script>alert(1)</script>")
	pages["history"] = c.get("/history")
	pages["delete missing"] = c.postForm("/replies/ffff/delete", nil)
	return pages
}

func mustReq(method, u string) *http.Request {
	r, err := http.NewRequest(method, u, nil)
	if err != nil {
		panic(err)
	}
	return r
}

func withHeader(r *http.Request, k, v string) *http.Request {
	r.Header.Set(k, v)
	return r
}

func crossSite(r *http.Request) *http.Request {
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestSecurityHeadersOnEveryPage(t *testing.T) {
	e := newEnv(t)
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	}
	for name, p := range allPages(t, e) {
		for k, v := range want {
			if got := p.header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", name, k, got, v)
			}
		}
		pp := p.header.Get("Permissions-Policy")
		for _, dev := range []string{"camera=()", "microphone=()", "geolocation=()", "usb=()"} {
			if !strings.Contains(pp, dev) {
				t.Errorf("%s: Permissions-Policy %q lacks %s", name, pp, dev)
			}
		}
		if s := p.header.Get("Server"); s != "" {
			t.Errorf("%s: Server header %q", name, s)
		}
		if v := p.header.Get("X-Powered-By"); v != "" {
			t.Errorf("%s: X-Powered-By %q", name, v)
		}
	}
}

func TestNoScriptOnAnyPage(t *testing.T) {
	e := newEnv(t)
	pages := allPages(t, e)
	for name, p := range pages {
		if scriptRE.MatchString(p.body) {
			t.Errorf("%s: page contains script: %s", name, scriptRE.FindString(p.body))
		}
	}
	// A reply's text is escaped, not run.
	if !strings.Contains(pages["history"].body, "&lt;script&gt;") {
		t.Errorf("reply text was not shown escaped")
	}
	// The templates themselves, whatever their data.
	entries, _ := templateFS.ReadDir("templates")
	for _, de := range entries {
		b, _ := templateFS.ReadFile("templates/" + de.Name())
		if scriptRE.Match(b) {
			t.Errorf("template %s contains script", de.Name())
		}
	}
}

func TestOnlyGetHeadPost(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for _, m := range []string{"PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"} {
		p := c.do(mustReq(m, e.ts.URL+"/"))
		if p.status != 405 {
			t.Errorf("%s: status %d, want 405", m, p.status)
		}
	}
	if p := c.do(mustReq("HEAD", e.ts.URL+"/")); p.status != 200 {
		t.Errorf("HEAD /: %d", p.status)
	}
	if p := c.do(mustReq("DELETE", e.ts.URL+"/report")); p.status != 405 {
		t.Errorf("DELETE /report: %d", p.status)
	}
}

func TestSessionCookie(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get("/new")
	if sessionID(t, c) != "" {
		t.Errorf("a session was started by merely showing a codename")
	}
	_, form := c.newCodename()
	sc := form.header.Values("Set-Cookie")
	if len(sc) != 1 {
		t.Fatalf("Set-Cookie: %q", sc)
	}
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(sc[0], attr) {
			t.Errorf("cookie %q lacks %s", sc[0], attr)
		}
	}
	val := strings.TrimPrefix(strings.SplitN(sc[0], ";", 2)[0], sessionCookie+"=")
	if len(val) < 43 {
		t.Errorf("session id %q is too short to be random enough", val)
	}
	if strings.Contains(strings.ToLower(sc[0]), "expires") || strings.Contains(sc[0], "Max-Age") {
		t.Errorf("session cookie persists beyond the browser session: %q", sc[0])
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func sessionID(t *testing.T, c *client) string {
	t.Helper()
	for _, ck := range c.c.Jar.Cookies(mustURL(c.e.ts.URL)) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	return ""
}

// A login replaces the session id; the old id no longer works.
func TestSessionRegeneratedAtLogin(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	codename, _ := c.newCodename()
	c.submit(report{fields: map[string]string{"message": "m"}})
	before := sessionID(t, c)
	if p := c.postForm("/login", url.Values{"codename": {codename}}); p.status != 303 {
		t.Fatalf("login: %d", p.status)
	}
	after := sessionID(t, c)
	if before == "" || after == "" || before == after {
		t.Fatalf("session id not regenerated: %q → %q", before, after)
	}
	old := e.client()
	old.c.Jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: sessionCookie, Value: before, Path: "/"}})
	if p := old.get("/history"); p.status != 401 {
		t.Errorf("old session id still works: %d", p.status)
	}
	if p := c.get("/history"); p.status != 200 {
		t.Errorf("new session id does not work: %d", p.status)
	}
}

// The session state holds the derived identity, never the codename.
func TestSessionHoldsNoCodename(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	codename, _ := c.newCodename()
	s := e.srv.sessions.get(&http.Request{Header: http.Header{"Cookie": {sessionCookie + "=" + sessionID(t, c)}}})
	if s == nil || s.identity == nil {
		t.Fatal("no session with an identity after POST /new")
	}
	id, _ := crypto.DeriveSource(codename, testPepper, testKDF)
	if s.identity.LookupID != id.LookupID {
		t.Errorf("session identity is not the codename's")
	}
}

func TestStaleSession(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	e.clock.Add(29 * time.Minute)
	if p := c.get("/report"); p.status != 200 {
		t.Fatalf("session ended before the idle timeout: %d", p.status)
	}
	e.clock.Add(29 * time.Minute) // idle time counts from the last request
	if p := c.get("/report"); p.status != 200 {
		t.Fatalf("session ended although used: %d", p.status)
	}
	e.clock.Add(31 * time.Minute)
	p := c.submit(report{fields: map[string]string{"message": "too late"}, files: []filePart{{"f.txt", "", []byte("x")}}})
	expectProblem(t, p, 401, "Nothing from this page was saved")
	e.expectNothingStored()
	// Sweeping forgets idle sessions.
	c2 := e.client()
	c2.newCodename()
	e.clock.Add(31 * time.Minute)
	e.srv.sessions.sweep()
	if n := e.srv.sessions.len(); n != 0 {
		t.Errorf("%d sessions left after sweeping idle ones", n)
	}
}

func TestOversizeUpload(t *testing.T) {
	e := newEnv(t)
	e.setSettings(func(s *store.Settings) { s.MaxUploadBytes = 1 << 20 })
	c := e.client()
	c.newCodename()
	big := bytes.Repeat([]byte("x"), 2<<20)

	// With a Content-Length (what browsers send): refused up front.
	p := c.submit(report{fields: map[string]string{"message": "with a big file"}, files: []filePart{{"big.bin", "", big}}})
	expectProblem(t, p, 413, "Nothing was saved")
	if !strings.Contains(p.body, "1 MiB") {
		t.Errorf("oversize page does not state the limit: %s", p.body)
	}
	e.expectNothingStored()

	// Without one (chunked): the limit is hit mid-stream, after the report
	// and a first file were stored; they are deleted again.
	ct, body := multipartBody(report{fields: map[string]string{"message": "chunked"},
		files: []filePart{{"small.txt", "", []byte("small")}, {"big.bin", "", big}}})
	req, _ := http.NewRequest("POST", e.ts.URL+"/report", io.MultiReader(bytes.NewReader(body)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", ct)
	p = c.do(req)
	expectProblem(t, p, 413, "Nothing was saved")
	e.expectNothingStored()
	assertNoBlobs(t, e.dir)

	// A submission under the limit still works afterwards, in the same session.
	if p := c.submit(report{fields: map[string]string{"message": "fits"}, files: []filePart{{"s.txt", "", []byte("s")}}}); p.status != 303 {
		t.Errorf("submission under the limit: %d %s", p.status, p.body)
	}
}

// assertNoBlobs checks that no blob or temporary file is left. The store's
// pool of empty files waiting to become blobs (".pool-", see the store
// package doc) is not a leftover while empty.
func assertNoBlobs(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != ".lock" && !isEmptyPoolFile(d) {
			t.Errorf("file left in blobs: %s", p)
		}
		return nil
	})
}

func isEmptyPoolFile(d os.DirEntry) bool {
	fi, err := d.Info()
	return err == nil && strings.HasPrefix(d.Name(), ".pool-") && fi.Size() == 0
}

func TestMalformedMultipart(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	send := func(ct string, body []byte) page {
		req, _ := http.NewRequest("POST", e.ts.URL+"/report", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		return c.do(req)
	}
	ct, good := multipartBody(report{fields: map[string]string{"message": "m"}, files: []filePart{{"f.txt", "", bytes.Repeat([]byte("f"), 10000)}}})
	cases := map[string]page{
		"truncated":      send(ct, good[:len(good)-200]),
		"wrong boundary": send("multipart/form-data; boundary=nope", good),
		"no boundary":    send("multipart/form-data", good),
		"not multipart":  send("application/x-www-form-urlencoded", []byte("message=hello")),
		"garbage":        send(ct, []byte("\x00\x01garbage")),
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			expectProblem(t, p, 400, "Nothing was saved")
		})
	}
	e.expectNothingStored()
	assertNoBlobs(t, e.dir)
}

func TestAttachmentPathTraversal(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	names := map[string]string{
		"../../etc/passwd":      "passwd",
		`..\..\windows\win.ini`: "win.ini",
		"/abs/path/x.doc":       "x.doc",
		"..":                    "attachment",
		"a\u202eb\tc.txt":       "abc.txt",
	}
	var files []filePart
	for n := range names {
		files = append(files, filePart{n, "", []byte("content of " + n)})
	}
	if p := c.submit(report{fields: map[string]string{"message": "files"}, files: files}); p.status != 303 {
		t.Fatalf("submit: %d %s", p.status, p.body)
	}
	got := map[string]bool{}
	for _, it := range e.items() {
		if it.Kind != store.KindFile {
			continue
		}
		h, data := decodeFile(t, e.decrypt(it.ID))
		orig := strings.TrimPrefix(string(data), "content of ")
		if want := names[orig]; h.Filename != want {
			t.Errorf("%q stored as %q, want %q", orig, h.Filename, want)
		}
		got[orig] = true
	}
	if len(got) != len(names) {
		t.Errorf("stored %d files, want %d", len(got), len(names))
	}
	// Nothing was written outside the data directory, and no blob carries the name.
	if _, err := os.Stat(filepath.Join(filepath.Dir(e.dir), "etc")); err == nil {
		t.Errorf("a directory was created outside the data directory")
	}
	scanForBytes(t, e.dir, []byte("passwd"))
}

// scanForBytes fails if any file under dir contains needle.
func scanForBytes(t *testing.T, dir string, needles ...[]byte) {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("read %s: %v", p, err)
			return nil
		}
		n++
		for _, nd := range needles {
			if bytes.Contains(b, nd) || bytes.Contains(bytes.ToLower(b), bytes.ToLower(nd)) {
				t.Errorf("%s contains %q", p, nd)
			}
			if !strings.HasPrefix(d.Name(), ".") && bytes.Contains([]byte(p), nd) {
				t.Errorf("a file name contains %q: %s", nd, p)
			}
		}
		return nil
	})
	if n == 0 {
		t.Errorf("scanned no file under %s", dir)
	}
}

func TestInvalidUTF8(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	for _, field := range []string{"message", "officers", "where"} {
		p := c.submit(report{fields: map[string]string{field: "bad \xff\xfe text", "message": "ok"}})
		if field == "message" {
			p = c.submit(report{fields: map[string]string{"message": "bad \xff\xfe text"}})
		}
		expectProblem(t, p, 400, "Nothing was saved")
	}
	e.expectNothingStored()
	// A file name that is not UTF-8 is repaired, not refused.
	if p := c.submit(report{fields: map[string]string{"message": "m"}, files: []filePart{{"n\xffame.txt", "", []byte("x")}}}); p.status != 303 {
		t.Fatalf("non-UTF-8 file name: %d %s", p.status, p.body)
	}
	for _, it := range e.items() {
		if it.Kind == store.KindFile {
			if h, _ := decodeFile(t, e.decrypt(it.ID)); h.Filename != "n\uFFFDame.txt" {
				t.Errorf("file name %q", h.Filename)
			}
		}
	}
}

func TestEmptyReport(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	cases := map[string]report{
		"nothing":          {fields: map[string]string{}},
		"blank message":    {fields: map[string]string{"category": "racism", "message": " \r\n\t "}},
		"no file selected": {fields: map[string]string{"message": ""}, files: []filePart{{"", "application/octet-stream", nil}}},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			expectProblem(t, c.submit(r), 400, "Nothing was saved")
		})
	}
	e.expectNothingStored()
	// A file alone (no text) is a report.
	if p := c.submit(report{files: []filePart{{"only.txt", "", []byte("only")}}}); p.status != 303 {
		t.Errorf("file-only report: %d %s", p.status, p.body)
	}
}

func TestMessageLengthCapped(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	expectProblem(t, c.submit(report{fields: map[string]string{"message": strings.Repeat("a", maxMessageBytes+1)}}), 413, "Nothing was saved")
	expectProblem(t, c.submit(report{fields: map[string]string{"message": "m", "officers": strings.Repeat("o", maxFieldBytes+1)}}), 413, "Nothing was saved")
	e.expectNothingStored()
	if p := c.submit(report{fields: map[string]string{"message": strings.Repeat("a", maxMessageBytes)}}); p.status != 303 {
		t.Errorf("message at the cap: %d", p.status)
	}
}

func TestUnknownCategory(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	expectProblem(t, c.submit(report{fields: map[string]string{"category": "speeding", "message": "m"}}), 400, "Nothing was saved")
	e.expectNothingStored()
	for _, cat := range Categories {
		if p := c.submit(report{fields: map[string]string{"category": cat.Value, "message": "m"}}); p.status != 303 {
			t.Errorf("category %s: %d", cat.Value, p.status)
		}
	}
}

func TestHoneypot(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	p := c.submit(report{fields: map[string]string{"message": "buy pills", "website": "http://spam.example"},
		files: []filePart{{"spam.exe", "", []byte("MZ")}}})
	if p.status != 303 || p.loc != "/sent" {
		t.Fatalf("honeypot submission: %d %q", p.status, p.loc)
	}
	if s := c.get("/sent"); s.status != 200 || !strings.Contains(s.body, "received") {
		t.Errorf("honeypot did not look like success: %s", s.body)
	}
	e.expectNothingStored()
	assertNoBlobs(t, e.dir)
}

func TestWrongCodename(t *testing.T) {
	e := newEnv(t)
	var kdfCalls atomic.Int32
	inner := e.srv.kdf.derive1
	e.srv.kdf.derive1 = func(c string, p []byte, k crypto.KDFParams) (*crypto.SourceIdentity, error) {
		kdfCalls.Add(1)
		return inner(c, p, k)
	}
	c := e.client()
	good, _ := crypto.NewCodename()
	for name, code := range map[string]string{"unknown": good, "not words": "this is not a codename at all", "empty": ""} {
		p := c.postForm("/login", url.Values{"codename": {code}})
		if p.status != 401 || !strings.Contains(p.body, `id="login-error"`) || !strings.Contains(p.body, "check the words") {
			t.Errorf("%s: %d %s", name, p.status, p.body)
		}
		if strings.Contains(p.body, code) && code != "" {
			t.Errorf("%s: the codename is echoed back", name)
		}
	}
	if n := kdfCalls.Load(); n != 1 {
		t.Errorf("%d KDF calls, want 1 (only the well-formed codename)", n)
	}

	// Over-long: refused before any KDF work, with a kind message.
	kdfCalls.Store(0)
	for _, long := range []string{strings.Repeat("a", crypto.MaxCodenameBytes+1), strings.Repeat("word ", 10000)} {
		p := c.postForm("/login", url.Values{"codename": {long}})
		expectProblem(t, p, 400, "Nothing was changed")
	}
	if n := kdfCalls.Load(); n != 0 {
		t.Errorf("%d KDF calls for over-long codenames", n)
	}
	if sessionID(t, c) != "" {
		t.Errorf("a failed login started a session")
	}
}

// Concurrent KDFs are bounded; beyond the queue a login gets a busy page at
// once, and pages keep being served meanwhile.
func TestKDFBounded(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxConcurrentKDF = 2; c.MaxKDFQueue = 3 })
	release := make(chan struct{})
	var running, peak atomic.Int32
	entered := make(chan struct{}, 100)
	e.srv.kdf.derive1 = func(string, []byte, crypto.KDFParams) (*crypto.SourceIdentity, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		entered <- struct{}{}
		<-release
		running.Add(-1)
		return nil, errors.New("test: no identity")
	}
	good, _ := crypto.NewCodename()
	var wg sync.WaitGroup
	statuses := make(chan int, 10)
	for range 5 { // 2 running + 3 queued
		wg.Go(func() {
			statuses <- e.client().postForm("/login", url.Values{"codename": {good}}).status
		})
	}
	<-entered
	<-entered
	// Wait until all five hold a place (2 running, 3 queued).
	for len(e.srv.kdf.queue) < 5 {
		time.Sleep(time.Millisecond)
	}
	// The sixth finds the queue full and is told at once.
	p := e.client().postForm("/login", url.Values{"codename": {good}})
	expectProblem(t, p, 503, "Nothing was changed")
	if p.header.Get("Retry-After") == "" {
		t.Errorf("busy page without Retry-After")
	}
	// Pages are served while the KDF slots are taken.
	if p := e.client().get("/"); p.status != 200 {
		t.Errorf("landing page during a login flood: %d", p.status)
	}
	close(release)
	wg.Wait()
	close(statuses)
	if pk := peak.Load(); pk != 2 {
		t.Errorf("peak concurrent KDFs %d, want 2", pk)
	}
	for s := range statuses {
		if s != 500 {
			t.Errorf("queued login status %d", s)
		}
	}
}

func TestCrossOriginPost(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	codename, _ := c.newCodename()
	c.submit(report{fields: map[string]string{"message": "m"}})
	n := len(e.items())

	post := func(path string, hdr map[string]string, body io.Reader, ct string) page {
		req, _ := http.NewRequest("POST", e.ts.URL+path, body)
		req.Header.Set("Content-Type", ct)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return c.do(req)
	}
	form := "application/x-www-form-urlencoded"
	mct, mbody := multipartBody(report{fields: map[string]string{"message": "forged"}})
	for name, hdr := range map[string]map[string]string{
		"sec-fetch-site cross-site": {"Sec-Fetch-Site": "cross-site"},
		"sec-fetch-site same-site":  {"Sec-Fetch-Site": "same-site"},
		"origin mismatch":           {"Origin": "http://evil.example"},
	} {
		t.Run(name, func(t *testing.T) {
			expectProblem(t, post("/login", hdr, strings.NewReader(url.Values{"codename": {codename}}.Encode()), form), 403, "Nothing was saved")
			expectProblem(t, post("/report", hdr, bytes.NewReader(mbody), mct), 403, "Nothing was saved")
			expectProblem(t, post("/logout", hdr, nil, form), 403, "Nothing was saved")
		})
	}
	if got := len(e.items()); got != n {
		t.Errorf("cross-origin POST stored something: %d items, want %d", got, n)
	}
	// A browser without Fetch Metadata for this origin sends "Origin: null"
	// for our own forms (no-referrer policy): accepted only with the
	// SameSite=Strict cookie, which another site cannot make it send.
	null := map[string]string{"Origin": "null"}
	bare := e.client() // no cookies at all, as in a cross-site request
	req, _ := http.NewRequest("POST", e.ts.URL+"/login", strings.NewReader(url.Values{"codename": {codename}}.Encode()))
	req.Header.Set("Content-Type", form)
	req.Header.Set("Origin", "null")
	expectProblem(t, bare.do(req), 403, "Nothing was saved")
	if sessionID(t, bare) != "" {
		t.Errorf("a cookie-less POST with Origin: null logged in")
	}
	if p := post("/report", null, bytes.NewReader(mbody), mct); p.status != 303 {
		t.Errorf("Origin: null with the strict cookie: %d", p.status)
	}
	n++
	// The cookie does not override a cross-site Sec-Fetch-Site or a real
	// foreign Origin.
	expectProblem(t, post("/report", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "null"}, bytes.NewReader(mbody), mct), 403, "Nothing was saved")
	expectProblem(t, post("/report", map[string]string{"Origin": "http://evil.example"}, bytes.NewReader(mbody), mct), 403, "Nothing was saved")
	if got := len(e.items()); got != n {
		t.Errorf("%d items, want %d", got, n)
	}
	// Same origin is fine.
	p := post("/report", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.ts.URL}, bytes.NewReader(mbody), mct)
	if p.status != 303 {
		t.Errorf("same-origin POST: %d", p.status)
	}
}

func TestHostCheck(t *testing.T) {
	const onion = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"
	e := newEnv(t, func(c *Config) { c.OnionHost = onion })
	c := e.client()
	get := func(host string, hdr ...string) page {
		req := mustReq("GET", e.ts.URL+"/")
		req.Host = host
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return c.do(req)
	}
	isWarning := func(p page) bool {
		return p.status == http.StatusMisdirectedRequest && strings.Contains(p.body, `id="unsafe"`) && !strings.Contains(p.body, "<form")
	}
	for _, host := range []string{"127.0.0.1", "example.com", "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion.to", "evil.onion", ""} {
		if p := get(host); !isWarning(p) {
			t.Errorf("host %q: not the warning page: %d", host, p.status)
		}
	}
	for _, host := range []string{onion, strings.ToUpper(onion), onion + ":80", onion + "."} {
		if p := get(host); p.status != 200 || !strings.Contains(p.body, `href="/new"`) {
			t.Errorf("host %q: %d", host, p.status)
		}
	}
	if p := get(onion, "X-Tor2web", "1"); !isWarning(p) {
		t.Errorf("Tor2web header on the right host: %d", p.status)
	}
	// A POST through the wrong host is not processed.
	req, _ := http.NewRequest("POST", e.ts.URL+"/login", strings.NewReader("codename=x"))
	req.Host = "example.com"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p := c.do(req); !isWarning(p) {
		t.Errorf("POST via wrong host: %d", p.status)
	}

	// Without an onion host (loopback mode) only Tor2web is refused.
	e2 := newEnv(t)
	if p := e2.client().do(withHeader(mustReq("GET", e2.ts.URL+"/"), "X-Tor2web", "1")); p.status != http.StatusMisdirectedRequest {
		t.Errorf("Tor2web in loopback mode: %d", p.status)
	}
}

func TestDiskFull(t *testing.T) {
	e := newEnvStore(t, store.Options{MinFreeBytes: 1 << 62})
	c := e.client()
	c.newCodename()
	p := c.submit(report{fields: map[string]string{"message": "m"}, files: []filePart{{"f", "", []byte("x")}}})
	expectProblem(t, p, http.StatusInsufficientStorage, "Nothing was saved")
	e.expectNothingStored()
	assertNoBlobs(t, e.dir)
	// The server goes on serving.
	if p := c.get("/"); p.status != 200 {
		t.Errorf("landing after disk full: %d", p.status)
	}
}

func TestUploadsSwitchedOff(t *testing.T) {
	e := newEnv(t)
	e.setSettings(func(s *store.Settings) { s.UploadsAllowed = false })
	c := e.client()
	_, form := c.newCodename()
	if strings.Contains(form.body, `type="file"`) {
		t.Errorf("file input shown while uploads are off")
	}
	expectProblem(t, c.submit(report{fields: map[string]string{"message": "m"}, files: []filePart{{"f", "", []byte("x")}}}), 403, "Nothing was saved")
	e.expectNothingStored()
	if p := c.submit(report{fields: map[string]string{"message": "text only"}}); p.status != 303 {
		t.Errorf("text report with uploads off: %d", p.status)
	}
}

func TestMinFirstMessage(t *testing.T) {
	e := newEnv(t)
	e.setSettings(func(s *store.Settings) { s.MinFirstMessageChars = 20 })
	c := e.client()
	c.newCodename()
	expectProblem(t, c.submit(report{fields: map[string]string{"message": "too short"}}), 400, "Nothing was saved")
	e.expectNothingStored()
	c.submit(report{fields: map[string]string{"message": "this one is long enough to count"}})
	if p := c.submit(report{fields: map[string]string{"message": "short"}}); p.status != 303 {
		t.Errorf("a short follow-up was refused: %d", p.status)
	}
}

// A failed first submission leaves no source behind, and the session can
// try again.
func TestFailedFirstSubmissionLeavesNoSource(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	ct, body := multipartBody(report{fields: map[string]string{"message": "m"}, files: []filePart{{"a", "", bytes.Repeat([]byte("a"), 100000)}}})
	req, _ := http.NewRequest("POST", e.ts.URL+"/report", bytes.NewReader(body[:len(body)-10]))
	req.Header.Set("Content-Type", ct)
	expectProblem(t, c.do(req), 400, "Nothing was saved")
	e.expectNothingStored()
	if p := c.submit(report{fields: map[string]string{"message": "again"}}); p.status != 303 {
		t.Fatalf("retry: %d", p.status)
	}
	if len(e.sources()) != 1 || len(e.items()) != 1 {
		t.Errorf("after retry: %d sources %d items", len(e.sources()), len(e.items()))
	}
}

// The upload route must stream: ParseMultipartForm (and FormValue, which
// calls it) spill to temporary files on disk.
func TestNoParseMultipartForm(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		raw, _ := os.ReadFile(f)
		var b []byte
		for _, line := range bytes.Split(raw, []byte("\n")) {
			if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("//")) {
				b = append(append(b, line...), '\n')
			}
		}
		for _, bad := range []string{"ParseMultipartForm", "FormValue", "FormFile", "MultipartForm"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s uses %s", f, bad)
			}
		}
	}
}

// The server must not keep submitting when the submission keys are gone.
func TestNoSubmissionKey(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.SubmissionKeys = func(context.Context) ([]*crypto.PublicKey, error) { return nil, nil }
	})
	c := e.client()
	c.newCodename()
	expectProblem(t, c.submit(report{fields: map[string]string{"message": "m"}}), 500, "Nothing new was saved")
	e.expectNothingStored()
}

func TestSanitizeFilename(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":                "passwd",
		`..\..\windows\win.ini`:           "win.ini",
		"C:\\Users\\me\\Desktop\\a b.pdf": "a b.pdf",
		"/":                               "attachment",
		"":                                "attachment",
		"..":                              "attachment",
		"dir/..":                          "attachment",
		"evil\u202egpj.exe":               "evilgpj.exe",
		"new\nline\r.txt":                 "newline.txt",
		"\xff.txt":                        "\uFFFD.txt",
		strings.Repeat("é", 200):          strings.Repeat("é", 127),
	} {
		if got := sanitizeFilename(in); got != want {
			t.Errorf("sanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultKDFSlots(t *testing.T) {
	for _, c := range []struct {
		cpus    int
		threads uint8
		want    int
	}{{1, 2, 1}, {2, 2, 1}, {4, 2, 1}, {8, 2, 2}, {64, 2, 2}, {4, 1, 2}, {2, 0, 1}} {
		if got := defaultKDFSlots(c.cpus, c.threads); got != c.want {
			t.Errorf("defaultKDFSlots(%d, %d) = %d, want %d", c.cpus, c.threads, got, c.want)
		}
	}
}
