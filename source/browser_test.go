package source

import (
	"bytes"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/source/sourcetest"
	"github.com/candor-drop/candor/store"
)

// TestBrowserJourney runs the whole reporter journey in headless chromium
// with JavaScript disabled, against the source interface on loopback, and
// checks what reached the store.
func TestBrowserJourney(t *testing.T) {
	e := newEnv(t)
	var replyText string
	res := sourcetest.RunJourney(t, e.ts.URL, sourcetest.Options{
		AddReply: func(t testing.TB, codename string) string {
			replyText = "Thank you, we have opened a case. " + codename[:3]
			e.addReply(codename, replyText)
			return replyText
		},
	})
	// What the browser sent is stored, encrypted, with the file name inside.
	var gotReport, gotFile bool
	for _, it := range e.items() {
		switch it.Kind {
		case store.KindMessage:
			d := decodeReport(t, e.decrypt(it.ID))
			gotReport = d.Message == res.Report && d.Category == res.Category && d.Officers != ""
		case store.KindFile:
			h, data := decodeFile(t, e.decrypt(it.ID))
			gotFile = h.Filename == res.FileName && bytes.Equal(data, res.Attachment) && h.ContentType == "text/plain"
		case store.KindReply:
			t.Errorf("reply still stored after the journey deleted it")
		}
	}
	if !gotReport || !gotFile {
		t.Errorf("stored report ok=%v, file ok=%v", gotReport, gotFile)
	}
	if _, err := crypto.NormalizeCodename(res.Codename); err != nil {
		t.Errorf("codename %q: %v", res.Codename, err)
	}
}
