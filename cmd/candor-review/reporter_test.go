package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/source"
	"github.com/candor-drop/candor/store"
)

// The reporter side of the testscripts, played through the real source
// interface (package source) in-process, over loopback HTTP. Only the test
// binary links it; candor-review itself links no network code.

type reporter struct {
	ts  *testscript.TestScript
	srv *httptest.Server
	src *source.Server
	st  *store.Store
	c   *http.Client
}

func newReporter(ts *testscript.TestScript, dataDir string) *reporter {
	st, pepper, kdf := openServer(ts, ts.MkAbs(dataDir))
	src, err := source.New(source.Config{
		Store: st, Pepper: pepper, KDF: kdf,
		SubmissionKeys: func(ctx context.Context) ([]*crypto.PublicKey, error) {
			keys, err := st.SubmissionKeys(ctx, true)
			if err != nil {
				return nil, err
			}
			var out []*crypto.PublicKey
			for _, k := range keys {
				pk, err := crypto.ParsePublicKey(k.PublicKey)
				if err != nil {
					return nil, err
				}
				out = append(out, pk)
			}
			return out, nil
		},
	})
	ts.Check(err)
	jar, _ := cookiejar.New(nil)
	return &reporter{ts: ts, srv: httptest.NewServer(src.Handler()), src: src, st: st,
		c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (r *reporter) close() {
	r.srv.Close()
	r.src.Close()
	r.st.Close()
}

func (r *reporter) do(req *http.Request) (int, string) {
	resp, err := r.c.Do(req)
	r.ts.Check(err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	r.ts.Check(err)
	return resp.StatusCode, string(b)
}

func (r *reporter) postForm(path string, v url.Values) (int, string) {
	req, _ := http.NewRequest("POST", r.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r.do(req)
}

var codenameRE = regexp.MustCompile(`id="codename">([a-z -]+)<`)

// report DATA CODENAME_OUT REPORT_JSON [NAME=FILE | FILE]...
//
// A reporter gets a codename on the real source interface, fills in the
// form from REPORT_JSON (category, officers, when, where, message) and
// attaches the files (NAME is the file name the browser sends). The
// codename goes to CODENAME_OUT and the source's designation to
// $DESIGNATION.
func cmdReport(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: report DATA CODENAME_OUT REPORT_JSON [NAME=FILE...]")
	}
	r := newReporter(ts, args[0])
	defer r.close()
	req, _ := http.NewRequest("GET", r.srv.URL+"/new", nil)
	status, body := r.do(req)
	m := codenameRE.FindStringSubmatch(body)
	if status != 200 || m == nil {
		ts.Fatalf("GET /new: %d, no codename", status)
	}
	codename := m[1]
	if status, _ := r.postForm("/new", url.Values{"codename": {codename}}); status != 200 {
		ts.Fatalf("POST /new: %d", status)
	}
	var fields map[string]any
	data, err := os.ReadFile(ts.MkAbs(args[2]))
	ts.Check(err)
	ts.Check(json.Unmarshal(data, &fields))
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, k := range []string{"category", "officers", "when", "where", "message"} {
		if v, ok := fields[k].(string); ok {
			mw.WriteField(k, v)
		}
	}
	for _, a := range args[3:] {
		name, path, ok := strings.Cut(a, "=")
		if !ok {
			name, path = filepath.Base(a), a
		}
		content, err := os.ReadFile(ts.MkAbs(path))
		ts.Check(err)
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+strings.ReplaceAll(name, `"`, `\"`)+`"`)
		h.Set("Content-Type", "application/octet-stream")
		w, _ := mw.CreatePart(h)
		w.Write(content)
	}
	mw.Close()
	req, _ = http.NewRequest("POST", r.srv.URL+"/report", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := r.c.Do(req)
	ts.Check(err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sent" {
		ts.Fatalf("POST /report: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(codename+"\n"), 0o600))
	id, err := crypto.DeriveSource(codename, mustPepper(ts, args[0]), kdfOf(ts, r.st))
	ts.Check(err)
	src, err := r.st.SourceByLookupID(context.Background(), id.LookupID)
	ts.Check(err)
	ts.Setenv("DESIGNATION", src.Designation)
}

// reporterreads DATA CODENAME_FILE TEXT: the reporter logs in with the
// codename on the real source interface and sees TEXT (a reply or the
// status note) on their history page.
func cmdReporterReads(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: reporterreads DATA CODENAME_FILE TEXT")
	}
	r := newReporter(ts, args[0])
	defer r.close()
	cn, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	status, _ := r.postForm("/login", url.Values{"codename": {strings.TrimSpace(string(cn))}})
	if status != http.StatusSeeOther {
		ts.Fatalf("login: %d", status)
	}
	req, _ := http.NewRequest("GET", r.srv.URL+"/history", nil)
	status, body := r.do(req)
	if status != 200 {
		ts.Fatalf("history: %d", status)
	}
	found := strings.Contains(html.UnescapeString(body), args[2])
	if found == neg {
		ts.Fatalf("history page shows %q: %v", args[2], found)
	}
}

func mustPepper(ts *testscript.TestScript, dataDir string) []byte {
	p, err := os.ReadFile(filepath.Join(ts.MkAbs(dataDir), "secrets", "pepper"))
	ts.Check(err)
	return p
}

func kdfOf(ts *testscript.TestScript, st *store.Store) crypto.KDFParams {
	kdf := crypto.DefaultKDFParams
	if b, err := st.Setting(context.Background(), "kdf_params"); err == nil {
		ts.Check(json.Unmarshal(b, &kdf))
	}
	return kdf
}
