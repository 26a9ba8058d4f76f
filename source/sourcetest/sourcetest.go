// Package sourcetest drives the whole reporter journey of the source
// interface in a real browser: Debian's chromium, headless, with
// JavaScript disabled (as in Tor Browser at the "Safest" level), through
// github.com/chromedp/chromedp. It works against any base URL, directly or
// through a SOCKS proxy (a Tor client), so the same journey serves the
// loopback test of package source and the onion test of the Tor side.
//
// It is a test helper: it fails the test it is given and is not linked
// into any binary.
package sourcetest

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// DefaultChromium is the browser the CI installs.
const DefaultChromium = "/usr/bin/chromium"

// Options of a journey.
type Options struct {
	// Chromium is the browser binary; empty means DefaultChromium.
	Chromium string
	// ProxyServer, if set, is passed as --proxy-server, e.g.
	// "socks5://127.0.0.1:9050"; host names are then resolved by the proxy.
	ProxyServer string
	// AddReply is called once the report is sent and the reporter has
	// logged out. It must store a reply to the source of codename (see
	// AddReply) and return the reply's text, which the journey then expects
	// to see after logging back in. Required.
	AddReply func(t testing.TB, codename string) string
	// StepTimeout bounds each step; 0 means 60 s (onion services are slow).
	StepTimeout time.Duration
	// Log, if set, receives chromium's own output for debugging.
	Log io.Writer
}

// Result is what the journey learned.
type Result struct {
	Codename   string // as shown on the codename page
	Attachment []byte // the content of the file uploaded with the report
	FileName   string // its base name
	Report     string // the text typed as "what happened"
	Category   string
}

// RunJourney opens baseURL (for example "http://127.0.0.1:8080" or
// "http://xxxx.onion") in headless chromium with JavaScript disabled,
// checks that scripts really do not run, then: gets a new codename, sends a
// report with a file, logs out, lets AddReply store a reply, logs back in
// with the codename, sees the reply, and deletes it. Any deviation fails t.
func RunJourney(t testing.TB, baseURL string, o Options) Result {
	t.Helper()
	if o.AddReply == nil {
		t.Fatal("sourcetest: Options.AddReply is required")
	}
	if o.Chromium == "" {
		o.Chromium = DefaultChromium
	}
	if o.StepTimeout == 0 {
		o.StepTimeout = 60 * time.Second
	}
	baseURL = strings.TrimSuffix(baseURL, "/")
	ctx := NewBrowser(t, o)
	j := &journey{t: t, ctx: ctx, base: baseURL, timeout: o.StepTimeout}

	j.checkScriptsDisabled()

	res := Result{
		Report:   "Journey report: the sergeant on night shift takes cash from drivers. " + randomWord(t),
		Category: "corruption",
		FileName: "evidence notes.txt",
	}
	res.Attachment = []byte("attachment for the journey " + randomWord(t) + "\n")
	file := filepath.Join(t.TempDir(), res.FileName)
	if err := os.WriteFile(file, res.Attachment, 0o600); err != nil {
		t.Fatal(err)
	}

	// 1. Landing page → "Make a report".
	j.do("open the landing page", chromedp.Navigate(baseURL+"/"))
	j.expectText("landing page", "body", "Tor Browser")
	j.click("click Make a report", chromedp.CSS(`a[href="/new"]`))

	// 2. The codename page.
	j.do("wait for the codename", chromedp.WaitVisible(chromedp.ID("codename")))
	res.Codename = strings.TrimSpace(j.text("read the codename", chromedp.CSS("#codename")))
	if n := len(strings.Fields(res.Codename)); n != crypto.CodenameWords {
		t.Fatalf("sourcetest: codename %q has %d words", res.Codename, n)
	}
	j.click("continue to the report form", chromedp.CSS(`form[action="/new"] button[type=submit]`))

	// 3. The first report form shows the codename again.
	j.do("wait for the report form", chromedp.WaitVisible(chromedp.ID("message")))
	if got := strings.TrimSpace(j.text("read the codename again", chromedp.CSS("#codename"))); got != res.Codename {
		t.Fatalf("sourcetest: first report form shows codename %q, want %q", got, res.Codename)
	}
	j.do("fill in the report",
		chromedp.SetValue(chromedp.ID("category"), res.Category),
		chromedp.SendKeys(chromedp.ID("officers"), "Sgt 0000 (night shift)"),
		chromedp.SendKeys(chromedp.ID("when"), "every Friday"),
		chromedp.SendKeys(chromedp.ID("where"), "the ring road"),
		chromedp.SendKeys(chromedp.ID("message"), res.Report),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
	)
	j.click("send the report", chromedp.CSS(`form[action="/report"] button[type=submit]`))
	j.do("wait for the receipt", chromedp.WaitVisible(chromedp.ID("receipt")))
	j.expectText("receipt", "#receipt", "your report and 1 file")

	// The codename is never shown again in this session.
	j.do("open the report form again", chromedp.Navigate(baseURL+"/report"))
	if strings.Contains(j.text("report form", chromedp.CSS("body")), res.Codename) {
		t.Fatalf("sourcetest: the codename is shown again after the first submission")
	}

	// 4. Log out.
	j.click("log out", chromedp.CSS(`form[action="/logout"] button[type=submit]`))
	j.do("wait for the logout page", chromedp.WaitVisible(chromedp.ID("logged-out")))
	j.expectText("logout page", "body", "New Identity")

	// 5. The unit replies.
	reply := o.AddReply(t, res.Codename)

	// 6. Log back in and read the reply.
	j.do("open the login page", chromedp.Navigate(baseURL+"/login"))
	j.do("type the codename", chromedp.SendKeys(chromedp.ID("codename"), res.Codename))
	j.click("log in", chromedp.CSS(`form[action="/login"] button[type=submit]`))
	j.do("wait for the history page", chromedp.WaitVisible(chromedp.ID("status")))
	j.expectText("reply", "ul.replies", strings.TrimSpace(reply))

	// 7. Delete the reply.
	j.click("delete the reply", chromedp.CSS(`li.reply form button[type=submit]`))
	j.do("wait for the deletion notice", chromedp.WaitVisible(chromedp.ID("deleted")))
	j.do("wait for no replies", chromedp.WaitVisible(chromedp.ID("no-replies")))
	if strings.Contains(j.text("history page", chromedp.CSS("body")), strings.TrimSpace(reply)) {
		t.Fatalf("sourcetest: the reply is still shown after deleting it")
	}
	return res
}

// NewBrowser starts headless chromium with JavaScript disabled and a fresh
// profile, and returns a chromedp context for it; it is stopped when the
// test ends.
func NewBrowser(t testing.TB, o Options) context.Context {
	t.Helper()
	if o.Chromium == "" {
		o.Chromium = DefaultChromium
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(o.Chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-field-trial-config", true),
		chromedp.Flag("disable-component-extensions-with-background-pages", true),
		chromedp.Flag("no-service-autorun", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("component-updater", "disable-background-downloads,disable-delta-updates"),
		// No HTTPS upgrade attempts (an onion over plain HTTP is what Tor
		// Browser uses), no background fetches.
		chromedp.Flag("disable-features", "NetworkTimeServiceQuerying,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,HttpsFirstModeV2ForEngagedSites,Translate,OptimizationHints,OptimizationGuideModelDownloading,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,SafeBrowsingEnhancedProtection"),
		chromedp.Flag("password-store", "basic"),
		// JavaScript off for every page, as Tor Browser "Safest".
		chromedp.Flag("blink-settings", "scriptEnabled=false"),
	}
	if o.ProxyServer != "" {
		opts = append(opts, chromedp.ProxyServer(o.ProxyServer),
			// Resolve every name through the proxy; no local lookups.
			chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"))
	}
	if o.Log != nil {
		opts = append(opts, chromedp.CombinedOutput(o.Log))
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelC()
		cancelA()
	})
	// Start the browser, and disable scripts on the tab as well.
	if err := chromedp.Do(ctx, disableScripts()); err != nil {
		t.Fatalf("sourcetest: unable to start %s: %v", o.Chromium, err)
	}
	return ctx
}

func disableScripts() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	}
}

// AddReply stores a reply the way the journalist side does: the text
// encrypted to the source's key and the submission keys, as an item of kind
// reply. It derives the source from codename with the instance's pepper
// and KDF parameters.
func AddReply(ctx context.Context, st *store.Store, pepper []byte, kdf crypto.KDFParams, submission []*crypto.PublicKey, codename, text string) error {
	id, err := crypto.DeriveSource(codename, pepper, kdf)
	if err != nil {
		return err
	}
	src, err := st.SourceByLookupID(ctx, id.LookupID)
	if err != nil {
		return fmt.Errorf("sourcetest: unable to find the source: %w", err)
	}
	pub, err := crypto.ParsePublicKey(src.PublicKey)
	if err != nil {
		return err
	}
	to := append([]*crypto.PublicKey{pub}, submission...)
	var fprs []string
	for _, k := range to {
		fprs = append(fprs, k.Fingerprint())
	}
	ct, err := crypto.EncryptBytes([]byte(text), to...)
	if err != nil {
		return err
	}
	_, err = st.AddItem(ctx, store.NewItem{SourceID: src.ID, Kind: store.KindReply, Fingerprints: fprs}, func(w io.Writer) error {
		_, err := w.Write(ct)
		return err
	})
	return err
}

type journey struct {
	t       testing.TB
	ctx     context.Context
	base    string
	timeout time.Duration
}

func (j *journey) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, j.timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		j.fail(step, err)
	}
}

// click clicks an element and waits for the page it leads to to load.
func (j *journey) click(step string, sel chromedp.CSS) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, j.timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible))
	if err != nil {
		j.fail(step, err)
	}
	if resp != nil && resp.Status >= 400 {
		j.fail(step, fmt.Errorf("HTTP status %d", resp.Status))
	}
}

func (j *journey) text(step string, sel chromedp.CSS) string {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, j.timeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		j.fail(step, err)
	}
	return s
}

func (j *journey) expectText(step, css, want string) {
	j.t.Helper()
	if got := j.text(step, chromedp.CSS(css)); !strings.Contains(got, want) {
		j.t.Fatalf("sourcetest: %s: %q not in %q", step, want, got)
	}
}

func (j *journey) fail(step string, err error) {
	j.t.Helper()
	loc, _ := chromedp.Run(j.ctx, chromedp.Location())
	ctx, cancel := context.WithTimeout(j.ctx, 5*time.Second)
	defer cancel()
	body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
	if len(body) > 2000 {
		body = body[:2000]
	}
	j.t.Fatalf("sourcetest: %s: %v (at %s)\n%s", step, err, loc, body)
}

// checkScriptsDisabled loads a page whose script would change the DOM and
// checks that it did not run.
func (j *journey) checkScriptsDisabled() {
	j.t.Helper()
	page := `<!DOCTYPE html><p id="js">scripts are off</p><script>document.getElementById("js").textContent = "SCRIPTS RAN";</script>`
	j.do("load the script probe", chromedp.Navigate("data:text/html,"+url.PathEscape(page)))
	if got := j.text("read the script probe", chromedp.CSS("#js")); got != "scripts are off" {
		j.t.Fatalf("sourcetest: JavaScript is not disabled in the browser: probe says %q", got)
	}
}

func randomWord(t testing.TB) string {
	c, err := crypto.NewCodename()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(c)[0] + strings.Fields(c)[1]
}
