package source

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// addReply stores a reply to the source of codename as the journalist side
// would: encrypted to the source key and the submission key.
func (e *env) addReply(codename, text string) string {
	e.t.Helper()
	ctx := context.Background()
	id, err := crypto.DeriveSource(codename, testPepper, testKDF)
	if err != nil {
		e.t.Fatal(err)
	}
	src, err := e.st.SourceByLookupID(ctx, id.LookupID)
	if err != nil {
		e.t.Fatal(err)
	}
	pub, err := crypto.ParsePublicKey(src.PublicKey)
	if err != nil {
		e.t.Fatal(err)
	}
	to := []*crypto.PublicKey{pub, e.subKey.Public()}
	ct, err := crypto.EncryptBytes([]byte(text), to...)
	if err != nil {
		e.t.Fatal(err)
	}
	it, err := e.st.AddItem(ctx, store.NewItem{SourceID: src.ID, Kind: store.KindReply, Fingerprints: []string{pub.Fingerprint(), e.subKey.Fingerprint()}},
		func(w io.Writer) error { _, err := w.Write(ct); return err })
	if err != nil {
		e.t.Fatal(err)
	}
	return it.ID
}

func TestJourney(t *testing.T) {
	e := newEnv(t)
	c := e.client()

	land := c.get("/")
	if land.status != 200 || !strings.Contains(land.body, `href="/new"`) || !strings.Contains(land.body, `href="/login"`) ||
		!strings.Contains(land.body, "Tor Browser") {
		t.Fatalf("landing page: %d %s", land.status, land.body)
	}

	codename, form := c.newCodename()
	if len(strings.Fields(codename)) != crypto.CodenameWords {
		t.Fatalf("codename %q", codename)
	}
	// The first form shows the codename again.
	if !strings.Contains(form.body, `id="codename">`+codename+"<") {
		t.Errorf("first report form does not show the codename")
	}
	for _, f := range []string{`name="category"`, `name="officers"`, `name="when"`, `name="where"`, `name="message"`, `name="file"`, `enctype="multipart/form-data"`} {
		if !strings.Contains(form.body, f) {
			t.Errorf("report form lacks %s", f)
		}
	}
	// Generating a codename stores nothing.
	e.expectNothingStored()

	fileData := bytes.Repeat([]byte("attachment bytes\n"), 5000)
	p := c.submit(report{
		fields: map[string]string{"category": "corruption", "officers": "PC 1234 Smith", "when": "last Tuesday",
			"where": "Central station", "message": "He took money.\r\nTwice."},
		files: []filePart{{"ledger.pdf", "application/pdf", fileData}, {"photo.jpg", "image/jpeg", []byte("jpeg")}},
	})
	if p.status != 303 || p.loc != "/sent" {
		t.Fatalf("submit: %d %q %s", p.status, p.loc, p.body)
	}
	sent := c.get("/sent")
	if sent.status != 200 || !strings.Contains(sent.body, "your report and 2 files") {
		t.Errorf("acknowledgement: %d %s", sent.status, sent.body)
	}
	// The acknowledgement is given once; the form never shows the codename again.
	if again := c.get("/report"); strings.Contains(again.body, codename) || strings.Contains(again.body, `id="codename"`) {
		t.Errorf("codename shown again after the first submission")
	}

	srcs := e.sources()
	if len(srcs) != 1 {
		t.Fatalf("%d sources, want 1", len(srcs))
	}
	items := e.items()
	if len(items) != 3 {
		t.Fatalf("%d items, want 3", len(items))
	}
	var files int
	for _, it := range items {
		if len(it.Fingerprints) != 1 || it.Fingerprints[0] != e.subKey.Fingerprint() {
			t.Errorf("item %s fingerprints %v", it.ID, it.Fingerprints)
		}
		pt := e.decrypt(it.ID)
		switch it.Kind {
		case store.KindMessage:
			d := decodeReport(t, pt)
			want := reportDoc{Version: 1, Category: "corruption", Officers: "PC 1234 Smith", When: "last Tuesday", Where: "Central station", Message: "He took money.\nTwice."}
			if d != want {
				t.Errorf("report = %+v, want %+v", d, want)
			}
		case store.KindFile:
			files++
			h, data := decodeFile(t, pt)
			switch h.Filename {
			case "ledger.pdf":
				if h.ContentType != "application/pdf" || !bytes.Equal(data, fileData) || h.Version != 1 {
					t.Errorf("ledger.pdf: %+v, %d bytes", h, len(data))
				}
			case "photo.jpg":
				if h.ContentType != "image/jpeg" || string(data) != "jpeg" {
					t.Errorf("photo.jpg: %+v %q", h, data)
				}
			default:
				t.Errorf("unexpected file %+v", h)
			}
		default:
			t.Errorf("unexpected kind %s", it.Kind)
		}
	}
	if files != 2 {
		t.Errorf("%d files stored", files)
	}

	// A second submission in the same session goes to the same source.
	if p := c.submit(report{fields: map[string]string{"message": "One more thing."}}); p.status != 303 {
		t.Fatalf("second submit: %d %s", p.status, p.body)
	}
	if n := len(e.sources()); n != 1 {
		t.Errorf("%d sources after a second submission", n)
	}

	// Log out: the page says to use New Identity; the session is gone.
	out := c.follow(c.postForm("/logout", nil))
	if out.status != 200 || !strings.Contains(out.body, "New Identity") {
		t.Errorf("logout page: %d %s", out.status, out.body)
	}
	if h := c.get("/history"); h.status != 401 {
		t.Errorf("history after logout: %d", h.status)
	}

	// The unit replies and sets a status with a note.
	replyID := e.addReply(codename, "Thank you. We are looking into it.")
	id, _ := crypto.DeriveSource(codename, testPepper, testKDF)
	note, _ := crypto.EncryptBytes([]byte("Passed to the investigations team."), id.PublicKey())
	if err := e.st.SetStatus(context.Background(), srcs[0].ID, store.StatusReferred, note); err != nil {
		t.Fatal(err)
	}

	// Log back in with the codename typed loosely (case, spaces).
	loose := "  " + strings.ToUpper(strings.ReplaceAll(codename, " ", "   ")) + " "
	login := c.postForm("/login", url.Values{"codename": {loose}})
	if login.status != 303 || login.loc != "/history" {
		t.Fatalf("login: %d %q %s", login.status, login.loc, login.body)
	}
	h := c.get("/history")
	for _, want := range []string{"Thank you. We are looking into it.", store.StatusReferred, "Passed to the investigations team.", `id="reply-` + replyID + `"`, "2 reports", "2 files"} {
		if !strings.Contains(h.body, want) {
			t.Errorf("history lacks %q: %s", want, h.body)
		}
	}
	if strings.Contains(h.body, codename) {
		t.Errorf("history shows the codename")
	}

	// Delete the reply.
	del := c.postForm("/replies/"+replyID+"/delete", nil)
	if del.status != 303 {
		t.Fatalf("delete: %d %s", del.status, del.body)
	}
	h = c.get("/history")
	if strings.Contains(h.body, "looking into it") || !strings.Contains(h.body, `id="deleted"`) {
		t.Errorf("reply still shown after delete: %s", h.body)
	}
	if _, err := e.st.Item(context.Background(), replyID); err == nil {
		t.Errorf("reply still stored after delete")
	}
}

// Only replies of the logged-in source can be deleted; reports cannot.
func TestDeleteOnlyOwnReplies(t *testing.T) {
	e := newEnv(t)
	a, b := e.client(), e.client()
	codeA, _ := a.newCodename()
	a.submit(report{fields: map[string]string{"message": "from a"}})
	b.newCodename()
	b.submit(report{fields: map[string]string{"message": "from b"}})
	replyA := e.addReply(codeA, "for a")

	if p := b.postForm("/replies/"+replyA+"/delete", nil); p.status != 404 {
		t.Errorf("other source deleting a reply: %d", p.status)
	}
	var reportB string
	for _, it := range e.items() {
		if it.Kind == store.KindMessage && strings.Contains(string(e.decrypt(it.ID)), "from b") {
			reportB = it.ID
		}
	}
	if p := b.postForm("/replies/"+reportB+"/delete", nil); p.status != 404 {
		t.Errorf("deleting one's own report through the reply route: %d", p.status)
	}
	if len(e.items()) != 3 {
		t.Errorf("items deleted that should not have been: %d left", len(e.items()))
	}
}

// The source is created by the first submission, not by codename generation,
// and a codename that was never used to submit cannot log in.
func TestSourceCreatedOnFirstSubmission(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	codename, _ := c.newCodename()
	if n := len(e.sources()); n != 0 {
		t.Fatalf("%d sources before any submission", n)
	}
	other := e.client()
	if p := other.postForm("/login", url.Values{"codename": {codename}}); p.status != 401 {
		t.Errorf("login with an unused codename: %d", p.status)
	}
	// The history page of a reporter who sent nothing yet leads to the form.
	if p := c.get("/history"); p.status != 303 || p.loc != "/report" {
		t.Errorf("history before submitting: %d %q", p.status, p.loc)
	}
	c.submit(report{fields: map[string]string{"message": "first"}})
	if n := len(e.sources()); n != 1 {
		t.Fatalf("%d sources after the first submission", n)
	}
	if p := other.postForm("/login", url.Values{"codename": {codename}}); p.status != 303 {
		t.Errorf("login after submitting: %d", p.status)
	}
}

// If the unit deletes the source while the reporter is logged in, the
// reporter is told, nothing is half-stored, and the session ends.
func TestSourceDeletedWhileLoggedIn(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	c.submit(report{fields: map[string]string{"message": "first"}})
	srcs := e.sources()
	if len(srcs) != 1 {
		t.Fatalf("%d sources", len(srcs))
	}
	if err := e.st.DeleteSource(context.Background(), srcs[0].ID); err != nil {
		t.Fatal(err)
	}
	p := c.submit(report{fields: map[string]string{"message": "second"}, files: []filePart{{"f", "", []byte("x")}}})
	expectProblem(t, p, 410, "Nothing was saved")
	e.expectNothingStored()
	assertNoBlobs(t, e.dir)
	if sessionID(t, c) != "" {
		t.Errorf("session kept after the source was deleted")
	}

	// The same on the history page.
	c2 := e.client()
	code, _ := c2.newCodename()
	c2.submit(report{fields: map[string]string{"message": "first"}})
	id, _ := crypto.DeriveSource(code, testPepper, testKDF)
	src, _ := e.st.SourceByLookupID(context.Background(), id.LookupID)
	e.st.DeleteSource(context.Background(), src.ID)
	expectProblem(t, c2.get("/history"), 404, "Nothing was changed")
}

// A status note or reply the reporter's key cannot open is reported as
// such, without internal error text, and the rest of the page still shows.
func TestUndecryptableNoteAndReply(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	code, _ := c.newCodename()
	c.submit(report{fields: map[string]string{"message": "m"}})
	id, _ := crypto.DeriveSource(code, testPepper, testKDF)
	src, _ := e.st.SourceByLookupID(context.Background(), id.LookupID)
	// Encrypted to the submission key only: not for the reporter.
	note, _ := crypto.EncryptBytes([]byte("internal note"), e.subKey.Public())
	if err := e.st.SetStatus(context.Background(), src.ID, store.StatusInReview, note); err != nil {
		t.Fatal(err)
	}
	e.st.AddItem(context.Background(), store.NewItem{SourceID: src.ID, Kind: store.KindReply, Fingerprints: []string{e.subKey.Fingerprint()}},
		func(w io.Writer) error { _, err := w.Write(note); return err })
	good := e.addReply(code, "readable reply")
	h := c.get("/history")
	for _, want := range []string{store.StatusInReview, "could not be shown", "readable reply", `id="reply-` + good + `"`} {
		if !strings.Contains(h.body, want) {
			t.Errorf("history lacks %q", want)
		}
	}
	if strings.Contains(h.body, "internal note") || strings.Contains(h.body, "crypto:") {
		t.Errorf("history shows what it should not: %s", h.body)
	}
}
