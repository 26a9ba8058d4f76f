package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/candor-drop/candor/source/sourcetest"
	"github.com/candor-drop/candor/store"
)

// TestBrowserOversizeUpload checks that a real browser shows the "too
// large" page (not a connection error) when a file over the limit is sent,
// and that nothing is stored.
func TestBrowserOversizeUpload(t *testing.T) {
	e := newEnv(t)
	e.setSettings(func(s *store.Settings) { s.MaxUploadBytes = 1 << 20 })
	big := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(big, make([]byte, 20<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := sourcetest.NewBrowser(t, sourcetest.Options{})
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s: %v (at %s)", name, err, loc)
		}
	}
	step("codename", chromedp.Navigate(e.ts.URL+"/new"), chromedp.WaitVisible(chromedp.CSS("#codename")))
	step("continue", chromedp.Click(chromedp.CSS(`form[action="/new"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#message")))
	step("fill", chromedp.SendKeys(chromedp.CSS("#message"), "a report with a huge file"),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{big}))
	step("send", chromedp.Click(chromedp.CSS(`form[action="/report"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#problem")))
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"too large", "Nothing was saved", "1 MiB"} {
		if !strings.Contains(body, want) {
			t.Errorf("oversize page lacks %q: %s", want, body)
		}
	}
	e.expectNothingStored()
}
