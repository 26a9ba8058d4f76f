package journalist

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
	"github.com/candor-drop/candor/store"
)

type testReply struct {
	ID, SourceID string
	Blob         []byte
}

type testStatus struct {
	ID, SourceID, Status string
	Note                 []byte
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func newID(t testing.TB) string {
	id, err := randomID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// replyBundle writes a reply bundle signed by key.
func (e *env) replyBundle(key *crypto.SigningKey, replies []testReply, statuses []testStatus) []byte {
	e.t.Helper()
	m := &bundle.ReplyManifest{BundleID: newID(e.t), Day: "2026-03-10", Replies: []bundle.Reply{}, Statuses: []bundle.StatusChange{}}
	blobs := map[string][]byte{}
	for _, r := range replies {
		m.Replies = append(m.Replies, bundle.Reply{ID: r.ID, SourceID: r.SourceID, Size: int64(len(r.Blob)), SHA256: sum(r.Blob), Fingerprints: []string{e.sub.Fingerprint()}})
		blobs["replies/"+r.ID] = r.Blob
	}
	for _, s := range statuses {
		sc := bundle.StatusChange{ID: s.ID, SourceID: s.SourceID, Status: s.Status}
		if s.Note != nil {
			sc.Note = &bundle.Note{Size: int64(len(s.Note)), SHA256: sum(s.Note), Fingerprints: []string{e.sub.Fingerprint()}}
			blobs["notes/"+s.ID] = s.Note
		}
		m.Statuses = append(m.Statuses, sc)
	}
	var buf bytes.Buffer
	if err := bundle.WriteReply(&buf, m, key, func(name string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blobs[name])), nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return buf.Bytes()
}

// rewriteTar rewrites a bundle's entries through f.
func rewriteTar(t testing.TB, b []byte, f func(name string, data []byte) []byte) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		data = f(h.Name, data)
		h.Size = int64(len(data))
		tw.WriteHeader(h)
		tw.Write(data)
	}
	tw.Close()
	return out.Bytes()
}

func (e *env) encryptTo(text string, keys ...*crypto.PublicKey) []byte {
	e.t.Helper()
	ct, err := crypto.EncryptBytes([]byte(text), keys...)
	if err != nil {
		e.t.Fatal(err)
	}
	return ct
}

func (e *env) pinReviewKey() *crypto.SigningKey {
	e.t.Helper()
	k, err := crypto.GenerateSigningKey()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.AddReviewKey(e.ctx, store.ReviewKey{Fingerprint: k.Public().Fingerprint(), PublicKey: k.Public().String(), AddedDay: "2026-03-10"}); err != nil {
		e.t.Fatal(err)
	}
	return k
}

// snapshot is every source, its status and items.
func (e *env) snapshot() string {
	e.t.Helper()
	srcs, err := e.st.Sources(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range srcs {
		its, _ := e.st.Items(e.ctx, s.ID)
		j, _ := json.Marshal(struct {
			S store.Source
			I []store.Item
		}{s, its})
		b.Write(j)
	}
	return b.String()
}

func TestReplyBundleAppliedOnceIdempotent(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.reviewer("alice", false))
	key := e.pinReviewKey()
	src, srcKey := e.addSource()
	replyID, changeID := newID(t), newID(t)
	reply := e.encryptTo("we are looking into it", srcKey.Public(), e.sub.Public())
	note := e.encryptTo("referred to the inspectorate", srcKey.Public(), e.sub.Public())
	b := e.replyBundle(key, []testReply{{replyID, src.ID, reply}}, []testStatus{{changeID, src.ID, store.StatusReferred, note}})

	resp, out := e.apiCall("POST", "/api/v1/replies", tok, b)
	var res ApplyResult
	json.Unmarshal(out, &res)
	if resp.StatusCode != 200 || res.RepliesAdded != 1 || res.StatusesSet != 1 || res.AlreadyApplied {
		t.Fatalf("apply: %d %s", resp.StatusCode, out)
	}
	it, err := e.st.Item(e.ctx, replyID)
	if err != nil || it.Kind != store.KindReply || it.SourceID != src.ID {
		t.Fatalf("reply not stored under its id: %+v %v", it, err)
	}
	rc, _, _ := e.st.OpenItem(e.ctx, replyID)
	stored, _ := io.ReadAll(rc)
	rc.Close()
	if pt, err := crypto.DecryptBytes(stored, srcKey); err != nil || string(pt) != "we are looking into it" {
		t.Fatalf("stored reply does not decrypt for the source: %v", err)
	}
	got, _ := e.st.Source(e.ctx, src.ID)
	if got.Status != store.StatusReferred || !bytes.Equal(got.StatusNote, note) {
		t.Fatalf("status not applied: %q", got.Status)
	}
	if got.NewCount != 0 {
		t.Fatal("a reply written offline is listed as new")
	}

	// The same bundle again changes nothing.
	// (A later status change must survive a replay of the old bundle.)
	if err := e.st.SetStatus(e.ctx, src.ID, store.StatusInReview, nil); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	resp, out = e.apiCall("POST", "/api/v1/replies", tok, b)
	json.Unmarshal(out, &res)
	if resp.StatusCode != 200 || !res.AlreadyApplied {
		t.Fatalf("second apply: %d %s", resp.StatusCode, out)
	}
	if after := e.snapshot(); after != before {
		t.Fatal("applying a bundle twice changed something")
	}
	// Another bundle carrying the same reply id skips it.
	b2 := e.replyBundle(key, []testReply{{replyID, src.ID, reply}}, nil)
	_, out = e.apiCall("POST", "/api/v1/replies", tok, b2)
	res = ApplyResult{}
	json.Unmarshal(out, &res)
	if res.RepliesAdded != 0 || res.RepliesSkipped != 1 {
		t.Fatalf("same reply in a new bundle: %s", out)
	}
	if its, _ := e.st.Items(e.ctx, src.ID); len(its) != 1 {
		t.Fatalf("%d items, want 1", len(its))
	}
}

func TestReplyBundleRefusedChangesNothing(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.reviewer("alice", false))
	key := e.pinReviewKey()
	src, srcKey := e.addSource()
	e.addItem(src.ID, "the report")
	good := func() testReply {
		return testReply{newID(t), src.ID, e.encryptTo("a reply", srcKey.Public(), e.sub.Public())}
	}
	unpinned, _ := crypto.GenerateSigningKey()
	removed := e.pinReviewKey()
	if err := e.st.DeleteReviewKey(e.ctx, removed.Public().Fingerprint()); err != nil {
		t.Fatal(err)
	}
	plain := []byte("this is plaintext, not an OpenPGP message")

	cases := []struct {
		name, code string
		bundle     []byte
	}{
		{"unknown signer", "bundle_signature", e.replyBundle(unpinned, []testReply{good()}, nil)},
		{"removed review key", "bundle_signature", e.replyBundle(removed, []testReply{good()}, nil)},
		{"bad signature", "bundle_signature", rewriteTar(t, e.replyBundle(key, []testReply{good()}, nil), func(n string, d []byte) []byte {
			if n == "manifest.sig" {
				return []byte(strings.Repeat("A", 86) + "==\n")
			}
			return d
		})},
		{"unsigned", "bundle_signature", rewriteTar(t, e.replyBundle(key, []testReply{good()}, nil), func(n string, d []byte) []byte {
			if n == "manifest.sig" {
				return nil
			}
			return d
		})},
		{"tampered reply", "bundle_corrupt", rewriteTar(t, e.replyBundle(key, []testReply{good()}, nil), func(n string, d []byte) []byte {
			if strings.HasPrefix(n, "replies/") {
				d = bytes.Clone(d)
				d[len(d)/2] ^= 1
			}
			return d
		})},
		{"tampered manifest", "bundle_signature", rewriteTar(t, e.replyBundle(key, []testReply{good()}, []testStatus{{newID(t), src.ID, store.StatusReferred, nil}}), func(n string, d []byte) []byte {
			if n == "manifest.json" {
				return bytes.Replace(d, []byte(store.StatusReferred), []byte(store.StatusNoCase), 1)
			}
			return d
		})},
		{"unknown source", "unknown_source", e.replyBundle(key, []testReply{good(), {newID(t), newID(t), e.encryptTo("x", srcKey.Public())}}, nil)},
		{"reply not OpenPGP", "not_openpgp", e.replyBundle(key, []testReply{good(), {newID(t), src.ID, plain}}, nil)},
		{"note not OpenPGP", "not_openpgp", e.replyBundle(key, []testReply{good()}, []testStatus{{newID(t), src.ID, store.StatusReferred, plain}})},
		{"bad status", "bad_status", e.replyBundle(key, []testReply{good()}, []testStatus{{newID(t), src.ID, "closed — case dismissed by the chief", nil}})},
		{"status for unknown source", "unknown_source", e.replyBundle(key, []testReply{good()}, []testStatus{{newID(t), newID(t), store.StatusReferred, nil}})},
		{"not a bundle", "bundle_format", []byte("PK\x03\x04 a zip file, say")},
		{"empty", "bundle_format", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			audit, _ := e.st.AuditLog(e.ctx, 0)
			resp, out := e.apiCall("POST", "/api/v1/replies", tok, tc.bundle)
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Fatalf("status %d, want a 4xx refusal: %s", resp.StatusCode, out)
			}
			code := errCode(t, out)
			if code != tc.code {
				t.Fatalf("code %q, want %q (%s)", code, tc.code, out)
			}
			if !strings.Contains(string(out), "Nothing was changed") {
				t.Fatalf("the message does not say nothing changed: %s", out)
			}
			if after := e.snapshot(); after != before {
				t.Fatal("a refused bundle changed something")
			}
			if applied, _ := e.st.BundleApplied(e.ctx, sum(tc.bundle)); applied {
				t.Fatal("a refused bundle was recorded as applied")
			}
			if a2, _ := e.st.AuditLog(e.ctx, 0); !reflect.DeepEqual(a2, audit) {
				t.Fatal("a refused bundle was audited as applied")
			}
			// The CLI path (ApplyReplies) refuses it the same way.
			if _, err := e.srv.ApplyReplies(e.ctx, "cli", bytes.NewReader(tc.bundle)); err == nil {
				t.Fatal("ApplyReplies accepted it")
			}
		})
	}
}

func TestReplyBundleWebUpload(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	cl := e.client()
	e.loginWeb(cl, c)
	key := e.pinReviewKey()
	src, srcKey := e.addSource()
	id := newID(t)
	b := e.replyBundle(key, []testReply{{id, src.ID, e.encryptTo("hello", srcKey.Public(), e.sub.Public())}}, nil)

	upload := func(data []byte) (*http.Response, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("bundle", "replies.tar")
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", e.ts.URL+"/replies", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body(t, resp)
	}
	resp, out := upload(b)
	if resp.StatusCode != 200 || !strings.Contains(out, "1 replies added") {
		t.Fatalf("upload: %d %s", resp.StatusCode, out)
	}
	if _, err := e.st.Item(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	bad := rewriteTar(t, b, func(n string, d []byte) []byte {
		if strings.HasPrefix(n, "replies/") {
			d = bytes.Clone(d)
			d[5] ^= 1
		}
		return d
	})
	resp, out = upload(bad)
	if resp.StatusCode != 400 || !strings.Contains(out, "Nothing was changed") {
		t.Fatalf("tampered upload: %d", resp.StatusCode)
	}
}

func TestIsOpenPGPMessage(t *testing.T) {
	e := newEnv(t)
	ct := e.encryptTo("x", e.sub.Public())
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{ct, true},
		{[]byte("-----BEGIN PGP MESSAGE-----\n\nabc"), true},
		{[]byte{0x84, 0x5e}, true},     // old-format PKESK
		{[]byte{0xc1, 0x5e}, true},     // new-format PKESK
		{[]byte{0xc3, 0x0d}, true},     // new-format SKESK
		{[]byte{0xcb, 0x0d}, false},    // literal data: unencrypted
		{[]byte{0x99, 0x01}, false},    // public key
		{[]byte("hello world"), false}, // text
		{[]byte{}, false},              // empty
		{[]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----"), false},
	} {
		if got := isOpenPGPMessage(tc.b); got != tc.want {
			t.Errorf("isOpenPGPMessage(%q) = %v, want %v", tc.b, got, tc.want)
		}
	}
}
