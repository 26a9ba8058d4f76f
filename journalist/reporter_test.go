package journalist

import (
	"context"
	"crypto/rand"
	"html"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/source"
	"github.com/candor-drop/candor/store"
)

// TestStatusShownOnReportersPage sets a case status with a note through
// the journalist API and reads it on the reporter's own page, served by
// the source interface, after logging in with the codename.
func TestStatusShownOnReportersPage(t *testing.T) {
	e := newEnv(t)
	pepper := make([]byte, 32)
	rand.Read(pepper)
	kdf := crypto.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}
	codename, err := crypto.NewCodename()
	if err != nil {
		t.Fatal(err)
	}
	id, err := crypto.DeriveSource(codename, pepper, kdf)
	if err != nil {
		t.Fatal(err)
	}
	src, err := e.st.CreateSource(e.ctx, id.LookupID, id.PublicKey().Bytes(), "brave otter")
	if err != nil {
		t.Fatal(err)
	}
	srcSrv, err := source.New(source.Config{
		Store: e.st, Pepper: pepper, KDF: kdf, Now: e.clock.Now,
		SubmissionKeys: func(ctx context.Context) ([]*crypto.PublicKey, error) {
			return []*crypto.PublicKey{e.sub.Public()}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srcSrv.Close()
	sts := httptest.NewServer(srcSrv.Handler())
	defer sts.Close()

	tok := e.token(e.reviewer("alice", false))
	resp, out := e.apiCall("POST", "/api/v1/sources/"+src.ID+"/status", tok,
		map[string]string{"status": store.StatusActionTaken, "note": "The officer was suspended."})
	if resp.StatusCode != 200 {
		t.Fatalf("set status: %d %s", resp.StatusCode, out)
	}

	cl := e.client()
	cl.CheckRedirect = nil // follow to /history
	lr, err := cl.PostForm(sts.URL+"/login", url.Values{"codename": {codename}})
	if err != nil {
		t.Fatal(err)
	}
	page := html.UnescapeString(body(t, lr))
	if lr.StatusCode != 200 {
		t.Fatalf("reporter login: %d", lr.StatusCode)
	}
	for _, want := range []string{store.StatusActionTaken, "The officer was suspended."} {
		if !strings.Contains(page, want) {
			t.Fatalf("reporter's page lacks %q", want)
		}
	}
}
