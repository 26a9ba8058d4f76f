package source

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// testKDF is cheap so that tests run fast; production uses DefaultKDFParams.
var testKDF = crypto.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

var testPepper = []byte("0123456789abcdef0123456789abcdef")

// syncBuffer collects the server's log output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t      *testing.T
	dir    string
	st     *store.Store
	subKey *crypto.PrivateKey
	srv    *Server
	ts     *httptest.Server
	logs   *syncBuffer
	clock  *clock
}

func newEnv(t *testing.T, opts ...func(*Config)) *env {
	t.Helper()
	return newEnvStore(t, store.Options{}, opts...)
}

func newEnvStore(t *testing.T, so store.Options, opts ...func(*Config)) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir, so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sk, err := crypto.GenerateSubmissionKey("Test Unit <unit@example.org>", crypto.ProfileGnuPG)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.AddSubmissionKey(ctx, sk.Fingerprint(), sk.Public().Bytes()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, st: st, subKey: sk, logs: &syncBuffer{}, clock: &clock{t: time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)}}
	cfg := Config{
		Store:  st,
		Pepper: testPepper,
		KDF:    testKDF,
		SubmissionKeys: func(ctx context.Context) ([]*crypto.PublicKey, error) {
			return []*crypto.PublicKey{sk.Public()}, nil
		},
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    e.clock.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e.srv = srv
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

func (e *env) setSettings(f func(*store.Settings)) {
	e.t.Helper()
	st := store.DefaultSettings
	f(&st)
	if err := e.st.SaveSettings(context.Background(), st); err != nil {
		e.t.Fatal(err)
	}
	// Drop the server's cached copy.
	e.srv.settingsMu.Lock()
	e.srv.settingsTime = time.Time{}
	e.srv.settingsMu.Unlock()
}

// client is a browser-like client with a cookie jar that does not follow
// redirects by itself.
type client struct {
	e *env
	c *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
	loc    string
}

func (c *client) do(req *http.Request) page {
	c.e.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b), loc: resp.Header.Get("Location")}
}

func (c *client) get(path string) page {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.ts.URL+path, nil)
	return c.do(req)
}

// follow GETs redirects until a page.
func (c *client) follow(p page) page {
	c.e.t.Helper()
	for i := 0; i < 5 && p.status/100 == 3; i++ {
		p = c.get(p.loc)
	}
	return p
}

func (c *client) postForm(path string, v url.Values) page {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.ts.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

var codenameRE = regexp.MustCompile(`id="codename">([a-z -]+)<`)

// newCodename goes through /new and returns the codename shown, and the
// report form page that follows it.
func (c *client) newCodename() (string, page) {
	c.e.t.Helper()
	p := c.get("/new")
	m := codenameRE.FindStringSubmatch(p.body)
	if p.status != 200 || m == nil {
		c.e.t.Fatalf("GET /new: status %d, no codename in %q", p.status, p.body)
	}
	form := c.postForm("/new", url.Values{"codename": {m[1]}})
	if form.status != 200 {
		c.e.t.Fatalf("POST /new: status %d: %s", form.status, form.body)
	}
	return m[1], form
}

type filePart struct {
	name, contentType string
	data              []byte
}

type report struct {
	fields map[string]string
	files  []filePart
}

func multipartBody(r report) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, k := range []string{"category", "officers", "when", "where", "message", "website"} {
		if v, ok := r.fields[k]; ok {
			mw.WriteField(k, v)
		}
	}
	for _, f := range r.files {
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+strings.ReplaceAll(f.name, `"`, `\"`)+`"`)
		ct := f.contentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		w, _ := mw.CreatePart(h)
		w.Write(f.data)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func (c *client) submit(r report) page {
	c.e.t.Helper()
	ct, body := multipartBody(r)
	req, _ := http.NewRequest("POST", c.e.ts.URL+"/report", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	return c.do(req)
}

// sources lists every source in the store.
func (e *env) sources() []store.Source {
	e.t.Helper()
	s, err := e.st.Sources(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// items lists every item of every source.
func (e *env) items() []store.Item {
	e.t.Helper()
	var all []store.Item
	for _, s := range e.sources() {
		it, err := e.st.Items(context.Background(), s.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		all = append(all, it...)
	}
	return all
}

func (e *env) expectNothingStored() {
	e.t.Helper()
	if s := e.sources(); len(s) != 0 {
		e.t.Errorf("%d sources stored, want none", len(s))
	}
	if it := e.items(); len(it) != 0 {
		e.t.Errorf("%d items stored, want none", len(it))
	}
}

// decrypt reads an item and decrypts it with the submission key.
func (e *env) decrypt(id string, keys ...*crypto.PrivateKey) []byte {
	e.t.Helper()
	rc, _, err := e.st.OpenItem(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rc.Close()
	if len(keys) == 0 {
		keys = []*crypto.PrivateKey{e.subKey}
	}
	var out bytes.Buffer
	if err := crypto.DecryptTo(&out, rc, keys...); err != nil {
		e.t.Fatalf("decrypt item %s: %v", id, err)
	}
	return out.Bytes()
}

func decodeReport(t *testing.T, b []byte) reportDoc {
	t.Helper()
	var d reportDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("report plaintext %q: %v", b, err)
	}
	return d
}

func decodeFile(t *testing.T, b []byte) (fileHeader, []byte) {
	t.Helper()
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		t.Fatalf("file plaintext has no header line")
	}
	var h fileHeader
	if err := json.Unmarshal(b[:i], &h); err != nil {
		t.Fatalf("file header %q: %v", b[:i], err)
	}
	return h, b[i+1:]
}

// expectProblem checks a problem page: status, and the three parts a
// reporter needs (what happened, whether anything was saved, what next).
func expectProblem(t *testing.T, p page, status int, saved string) {
	t.Helper()
	if p.status != status {
		t.Errorf("status %d, want %d; body: %s", p.status, status, p.body)
	}
	for _, class := range []string{`class="happened"`, `class="saved"`, `class="next"`} {
		if !strings.Contains(p.body, class) {
			t.Errorf("problem page lacks %s: %s", class, p.body)
		}
	}
	if !strings.Contains(p.body, saved) {
		t.Errorf("problem page does not say %q: %s", saved, p.body)
	}
	for _, leak := range []string{"source: ", "store: ", "crypto: ", "multipart", "http: ", "EOF"} {
		if strings.Contains(p.body, leak) {
			t.Errorf("problem page shows internal error text %q: %s", leak, p.body)
		}
	}
}
