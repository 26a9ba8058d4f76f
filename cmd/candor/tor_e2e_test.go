package main

// End-to-end tests of `candor serve` over real v3 onion
// services on a private Tor network (tor/tortest). They run inside the
// loopback-only network namespace of .ci/netns and fail, never skip,
// elsewhere:
//
//	go test -exec "$PWD/.ci/netns" -count=1 -timeout 20m ./cmd/candor/ -run Tor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/source/sourcetest"
	"github.com/candor-drop/candor/store"
	"github.com/candor-drop/candor/tor/tortest"
)

// The private network is shared by every Tor test of the package and
// started by the first one that needs it (it takes ~30 s).
var (
	torNetOnce sync.Once
	torNet     *tortest.Network
	torNetDir  string
	torNetRC   string // file of torrc lines joining it
	torNetErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if torNet != nil {
		torNet.Close() // kills only the tors it started
	}
	if torNetDir != "" {
		os.RemoveAll(torNetDir)
	}
	if torBinDir != "" {
		os.RemoveAll(torBinDir)
	}
	os.Exit(code)
}

func privateTorNetwork(t testing.TB) *tortest.Network {
	t.Helper()
	torNetOnce.Do(func() {
		torNetDir, torNetErr = os.MkdirTemp("", "candor-tornet-")
		if torNetErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		torNet, torNetErr = tortest.Start(ctx, torNetDir, t.Logf)
		if torNetErr == nil {
			torNetRC, torNetErr = torNet.WriteTorrcFragment()
		}
	})
	if torNetErr != nil {
		t.Fatalf("private Tor network: %v", torNetErr) // fails, never skips
	}
	return torNet
}

var (
	torBinOnce sync.Once
	torBinDir  string
	torBin     string
	torBinErr  error
)

// torInstance builds candor once, runs `candor init` in a new directory with
// a new submission key and lowers the KDF cost for the test. It returns the
// binary, the data directory and the submission private key.
func torInstance(t testing.TB) (string, string, *crypto.PrivateKey) {
	t.Helper()
	torBinOnce.Do(func() {
		if torBinDir, torBinErr = os.MkdirTemp("", "candor-tor-bin-"); torBinErr != nil {
			return
		}
		torBin = filepath.Join(torBinDir, "candor")
		if out, err := exec.Command("go", "build", "-o", torBin, ".").CombinedOutput(); err != nil {
			torBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if torBinErr != nil {
		t.Fatal(torBinErr)
	}
	data, sk := newTestInstanceKDF(t, &crypto.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1})
	return torBin, data, sk
}

// torServe is a running `candor serve` with Tor on.
type torServe struct {
	cmd        *exec.Cmd
	source     string // "xxx.onion"
	journalist string
	torPID     int
	stderr     *lockedBuffer
	done       chan struct{}
	exitErr    error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	onionLineRE = regexp.MustCompile(`^(source|journalist) onion:\s+http://([a-z2-7]{56}\.onion)/`)
	torPIDRE    = regexp.MustCompile(`msg="tor started" pid=(\d+)`)
)

func startTorServe(t testing.TB, bin, data string) *torServe {
	t.Helper()
	privateTorNetwork(t)
	cmd := exec.Command(bin, "serve", "--data", data, "--torrc", torNetRC,
		"--source-addr", "127.0.0.1:0", "--journalist-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &torServe{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(t) })
	lines := make(chan [2]string, 2)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := onionLineRE.FindStringSubmatch(sc.Text()); m != nil {
				lines <- [2]string{m[1], m[2]}
			}
		}
	}()
	go func() {
		s.exitErr = cmd.Wait()
		close(s.done)
	}()
	timeout := time.After(5 * time.Minute)
	for s.source == "" || s.journalist == "" {
		select {
		case l := <-lines:
			if l[0] == "source" {
				s.source = l[1]
			} else {
				s.journalist = l[1]
			}
		case <-s.done:
			t.Fatalf("candor serve exited (%v):\n%s", s.exitErr, s.stderr)
		case <-timeout:
			t.Fatalf("candor serve printed no onion addresses:\n%s", s.stderr)
		}
	}
	// stderr is copied by another goroutine: it may lag behind stdout.
	if m := s.waitLog(torPIDRE); m != nil {
		s.torPID, _ = strconv.Atoi(m[1])
	}
	return s
}

// waitLog waits a little for a line matching re in serve's log.
func (s *torServe) waitLog(re *regexp.Regexp) []string {
	for range 300 {
		if m := re.FindStringSubmatch(s.stderr.String()); m != nil {
			return m
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// stop ends serve with SIGTERM (as systemd does) and waits for it.
func (s *torServe) stop(t testing.TB) {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(2 * time.Minute):
		s.cmd.Process.Kill()
		<-s.done
		t.Errorf("candor serve did not stop on SIGTERM")
	}
}

// onionHTTP is an HTTP client with cookies through a tor client.
func onionHTTP(c *tortest.Client) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: &http.Transport{DialContext: c.DialContext}}
}

func reach(t testing.TB, c *tortest.Client, host string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if err := c.WaitReachable(ctx, host+":80"); err != nil {
		t.Fatalf("%s: %v", host, err)
	}
}

// readAll(t)(client.Get(…)) returns the body, failing t on an error.
func readAll(t testing.TB) func(*http.Response, error) (string, *http.Response) {
	return func(resp *http.Response, err error) (string, *http.Response) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), resp
	}
}

// addReply stores a reply to the source of codename through the store API,
// as an uploaded reply bundle would.
func addReply(t testing.TB, data, codename, text string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pepper, err := os.ReadFile(filepath.Join(data, "secrets", "pepper"))
	if err != nil {
		t.Fatal(err)
	}
	var kdf crypto.KDFParams
	raw, err := st.Setting(ctx, "kdf_params")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &kdf); err != nil {
		t.Fatal(err)
	}
	keys, err := st.SubmissionKeys(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var sub []*crypto.PublicKey
	for _, k := range keys {
		pk, err := crypto.ParsePublicKey(k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		sub = append(sub, pk)
	}
	if err := sourcetest.AddReply(ctx, st, pepper, kdf, sub, codename, text); err != nil {
		t.Fatal(err)
	}
}

var codenameRE = regexp.MustCompile(`id="codename">([a-z -]+)<`)

// TestTorReporterJourney: a reporter, through the source onion over SOCKS,
// gets a codename, sends a report with a file, logs back in and reads a
// reply; the report and the file are stored encrypted to the submission key.
func TestTorReporterJourney(t *testing.T) {
	bin, data, sk := torInstance(t)
	srv := startTorServe(t, bin, data)
	if srv.waitLog(regexp.MustCompile("proof-of-work DoS defence is ON")) == nil {
		t.Errorf("serve did not log that the PoW defence is on:\n%s", srv.stderr)
	}
	client := torNet.Client()
	reach(t, client, srv.source)
	base := "http://" + srv.source
	c := onionHTTP(client)

	page, _ := readAll(t)(c.Get(base + "/new"))
	m := codenameRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no codename on /new through the onion:\n%s", page)
	}
	codename := m[1]
	_, resp := readAll(t)(c.PostForm(base+"/new", url.Values{"codename": {codename}}))
	if resp.StatusCode != 200 {
		t.Fatalf("POST /new: %d", resp.StatusCode)
	}

	message := "The duty sergeant at the north station takes cash from tow firms. " + strconv.FormatInt(time.Now().UnixNano(), 36)
	file := bytes.Repeat([]byte("ledger page; "), 20000) // ~260 KB
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"category": "corruption", "officers": "Sgt. Example", "when": "last month", "where": "north station", "message": message} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "ledger.txt")
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/report", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	page, resp = readAll(t)(c.Do(req))
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/sent" {
		t.Fatalf("POST /report ended at %s with %d:\n%s", resp.Request.URL.Path, resp.StatusCode, page)
	}
	readAll(t)(c.PostForm(base+"/logout", nil))

	reply := "Thank you. We have opened a case. " + strconv.FormatInt(time.Now().UnixNano(), 36)
	addReply(t, data, codename, reply)

	c = onionHTTP(client) // a new session, as after "New Identity"
	page, resp = readAll(t)(c.PostForm(base+"/login", url.Values{"codename": {codename}}))
	if resp.StatusCode != 200 {
		t.Fatalf("POST /login: %d", resp.StatusCode)
	}
	if !strings.Contains(page, reply) {
		page, _ = readAll(t)(c.Get(base + "/history"))
	}
	if !strings.Contains(page, reply) {
		t.Fatalf("the reply is not shown after logging back in through the onion:\n%s", page)
	}

	// What the server stored: ciphertext that the submission key opens.
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srcs, err := st.Sources(context.Background())
	if err != nil || len(srcs) != 1 {
		t.Fatalf("sources = %d, %v; want 1", len(srcs), err)
	}
	items, err := st.Items(context.Background(), srcs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var gotMessage, gotFile bool
	for _, it := range items {
		rc, _, err := st.OpenItem(context.Background(), it.ID)
		if err != nil {
			t.Fatal(err)
		}
		var pt bytes.Buffer
		err = crypto.DecryptTo(&pt, rc, sk)
		rc.Close()
		if err != nil {
			t.Fatalf("item %s does not decrypt: %v", it.Kind, err)
		}
		switch it.Kind {
		case store.KindMessage:
			gotMessage = gotMessage || bytes.Contains(pt.Bytes(), []byte(message))
		case store.KindFile:
			gotFile = gotFile || bytes.Contains(pt.Bytes(), file)
		}
	}
	if !gotMessage || !gotFile {
		t.Errorf("stored report: message %v, file %v; want both", gotMessage, gotFile)
	}
}

// reviewerAdd runs `candor reviewer add` and returns the client-auth line.
func reviewerAdd(t testing.TB, bin, data, name string) tortest.ClientAuth {
	t.Helper()
	out, err := exec.Command(bin, "reviewer", "add", "--data", data, "--name", name, "--json").Output()
	if err != nil {
		t.Fatalf("candor reviewer add: %v", err)
	}
	var cred struct {
		ClientAuth string `json:"client_auth"`
	}
	if err := json.Unmarshal(out, &cred); err != nil {
		t.Fatal(err)
	}
	f := strings.Split(cred.ClientAuth, ":")
	if len(f) != 4 || f[1] != "descriptor" || f[2] != "x25519" {
		t.Fatalf("client auth line %q", cred.ClientAuth)
	}
	return tortest.ClientAuth{OnionID: f[0], PrivateKey: f[3]}
}

// TestTorJournalistClientAuth: a reviewer with a valid client key reaches
// the journalist onion; a client without a key cannot; a reviewer removed
// with `candor reviewer remove` while serve runs can no longer connect.
func TestTorJournalistClientAuth(t *testing.T) {
	bin, data, _ := torInstance(t)
	alice := reviewerAdd(t, bin, data, "alice")
	bob := reviewerAdd(t, bin, data, "bob")
	srv := startTorServe(t, bin, data)
	if alice.OnionID+".onion" != srv.journalist {
		t.Fatalf("client auth is for %s, serve published %s", alice.OnionID, srv.journalist)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	net := privateTorNetwork(t)
	aliceTor, err := net.NewClient(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	defer aliceTor.Close()
	bobTor, err := net.NewClient(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	defer bobTor.Close()

	reach(t, aliceTor, srv.journalist)
	page, resp := readAll(t)(onionHTTP(aliceTor).Get("http://" + srv.journalist + "/"))
	if resp.StatusCode >= 500 || page == "" {
		t.Fatalf("journalist interface through the onion: %d %q", resp.StatusCode, page)
	}

	// Without a key: tor refuses before anything reaches Candor.
	err = net.Client().WaitReachable(ctx, srv.journalist+":80")
	if code := tortest.SOCKSCode(err); code != tortest.CodeMissingClientAuth {
		t.Fatalf("client without a key: %v; want SOCKS 0x%X (client authorization missing)", err, tortest.CodeMissingClientAuth)
	}

	// Revoke alice while serve runs: within a few polls her tor, which
	// holds the descriptor and a circuit, is refused.
	if out, err := exec.Command(bin, "reviewer", "remove", "--data", data, "--name", "alice").CombinedOutput(); err != nil {
		t.Fatalf("candor reviewer remove: %v\n%s", err, out)
	}
	for {
		err := aliceTor.WaitReachable(ctx, srv.journalist+":80")
		code := tortest.SOCKSCode(err)
		if code == tortest.CodeWrongClientAuth || code == tortest.CodeMissingClientAuth {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("removed reviewer can still connect (last: %v)\n%s", err, srv.stderr)
		}
		time.Sleep(time.Second)
	}
	// bob still gets in.
	reach(t, bobTor, srv.journalist)
}

// TestTorRestartKeepsAddresses: both onion addresses survive a restart and
// `candor onion` shows them.
func TestTorRestartKeepsAddresses(t *testing.T) {
	bin, data, _ := torInstance(t)
	first := startTorServe(t, bin, data)
	first.stop(t)
	if first.exitErr != nil {
		t.Errorf("serve stopped with %v on SIGTERM:\n%s", first.exitErr, first.stderr)
	}
	second := startTorServe(t, bin, data)
	if first.source != second.source || first.journalist != second.journalist {
		t.Fatalf("addresses changed across a restart: %s, %s -> %s, %s", first.source, first.journalist, second.source, second.journalist)
	}
	if first.source == first.journalist {
		t.Fatal("source and journalist services share an address")
	}
	reach(t, torNet.Client(), second.source)
	out, err := exec.Command(bin, "onion", "--data", data).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{second.source, second.journalist} {
		if !strings.Contains(string(out), "http://"+a+"/") {
			t.Errorf("candor onion does not show %s:\n%s", a, out)
		}
	}
}

// TestTorDeathStopsServe: when tor dies, serve says so and exits instead of
// going on serving.
func TestTorDeathStopsServe(t *testing.T) {
	bin, data, _ := torInstance(t)
	srv := startTorServe(t, bin, data)
	if srv.torPID == 0 {
		t.Fatalf("serve logged no tor pid:\n%s", srv.stderr)
	}
	if err := syscall.Kill(srv.torPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("candor serve still runs after tor died:\n%s", srv.stderr)
	}
	if srv.exitErr == nil {
		t.Error("serve exited with status 0 after tor died")
	}
	if !strings.Contains(srv.stderr.String(), "tor exited") {
		t.Errorf("serve did not say that tor exited:\n%s", srv.stderr)
	}
}

// TestTorDiesWithServe: tor never outlives candor serve, even when serve is
// killed without a chance to stop it (SIGKILL, a crash, the OOM killer).
func TestTorDiesWithServe(t *testing.T) {
	bin, data, _ := torInstance(t)
	srv := startTorServe(t, bin, data)
	if srv.torPID == 0 {
		t.Fatalf("serve logged no tor pid:\n%s", srv.stderr)
	}
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-srv.done
	torData := []byte(filepath.Join(data, "tor"))
	deadline := time.Now().Add(2 * time.Minute)
	for {
		// Gone, a zombie, or the PID reused by another program: tor has exited.
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", srv.torPID))
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", srv.torPID))
		if _, state, _ := strings.Cut(string(stat), ") "); !strings.HasPrefix(state, "Z") && bytes.Contains(cmdline, torData) {
			if time.Now().After(deadline) {
				syscall.Kill(srv.torPID, syscall.SIGKILL)
				t.Fatalf("tor (pid %d) still runs after candor serve was killed", srv.torPID)
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		break
	}
}

// TestTorBrowserJourney: the source interface's real-browser journey
// (chromium, JavaScript disabled) through the onion.
func TestTorBrowserJourney(t *testing.T) {
	bin, data, _ := torInstance(t)
	srv := startTorServe(t, bin, data)
	client := torNet.Client()
	reach(t, client, srv.source)
	// Tor Browser treats .onion sites as secure contexts (it sends
	// Sec-Fetch-Site, which the source interface's cross-origin check
	// reads); Chromium does not, unless told so for this origin.
	chromium := filepath.Join(t.TempDir(), "chromium")
	script := "#!/bin/sh\nexec " + sourcetest.DefaultChromium + " --unsafely-treat-insecure-origin-as-secure=http://" + srv.source + ` "$@"` + "\n"
	if err := os.WriteFile(chromium, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	sourcetest.RunJourney(t, "http://"+srv.source, sourcetest.Options{
		Chromium:    chromium,
		ProxyServer: "socks5://" + client.SocksAddr(),
		StepTimeout: 2 * time.Minute,
		AddReply: func(t testing.TB, codename string) string {
			text := fmt.Sprintf("Reply through the onion %d", time.Now().UnixNano())
			addReply(t, data, codename, text)
			return text
		},
	})
}

// BenchmarkTorServeReachable measures the time from starting `candor serve`
// (tor started, bootstrapped against the private network's consensus,
// services published) to the first successful connection to the source
// onion from another tor. For docs/performance.md:
//
//	go test -exec "$PWD/.ci/netns" -run '^$' -bench TorServeReachable -benchtime 5x ./cmd/candor/
func BenchmarkTorServeReachable(b *testing.B) {
	privateTorNetwork(b)
	for b.Loop() {
		b.StopTimer()
		bin, data, _ := torInstance(b)
		b.StartTimer()
		start := time.Now()
		srv := startTorServe(b, bin, data)
		printed := time.Since(start)
		if err := torNet.Client().WaitReachable(b.Context(), srv.source+":80"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.Logf("addresses printed after %v, source onion reachable after %v", printed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		srv.stop(b)
		b.StartTimer()
	}
}

const torUploadSize = 100 << 20

// torPattern yields n bytes of a fixed, incompressible-enough pattern.
func torPattern(n int64) io.Reader {
	block := make([]byte, 64<<10)
	for i := range block {
		block[i] = byte(i*7 + i>>8)
	}
	return io.LimitReader(&torRepeatReader{b: block}, n)
}

type torRepeatReader struct {
	b []byte
	i int
}

func (r *torRepeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.i:])
	r.i = (r.i + n) % len(r.b)
	return n, nil
}

// torMultipartUpload POSTs fields and one file of size bytes, streaming it,
// with a Content-Length as a browser sends it.
func torMultipartUpload(ctx context.Context, c *http.Client, url, fileField string, fields map[string]string, size int64) (*http.Response, error) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if _, err := mw.CreateFormFile(fileField, "evidence.bin"); err != nil {
		return nil, err
	}
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	body := io.MultiReader(bytes.NewReader(head.Bytes()), torPattern(size), strings.NewReader(tail))
	req, err := http.NewRequestWithContext(ctx, "POST", url, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = int64(head.Len()) + size + int64(len(tail))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

// BenchmarkTorUpload100MiB uploads the same 100 MiB file over the private
// Tor network to Candor's source onion (a report with an attachment) and to
// OnionShare's receive mode (onionshare-cli 2.6 --receive --public, its
// onion published through a tor of the same private network via its
// control port). For docs/performance.md:
//
//	go test -exec "$PWD/.ci/netns" -run '^$' -bench TorUpload -benchtime 3x -timeout 30m ./cmd/candor/
func BenchmarkTorUpload100MiB(b *testing.B) {
	b.Run("candor", func(b *testing.B) {
		bin, data, _ := torInstance(b)
		srv := startTorServe(b, bin, data)
		client := torNet.Client()
		reach(b, client, srv.source)
		base := "http://" + srv.source
		b.SetBytes(torUploadSize)
		for b.Loop() {
			b.StopTimer()
			c := onionHTTP(client)
			page, _ := readAll(b)(c.Get(base + "/new"))
			m := codenameRE.FindStringSubmatch(page)
			if m == nil {
				b.Fatalf("no codename: %s", page)
			}
			readAll(b)(c.PostForm(base+"/new", url.Values{"codename": {m[1]}}))
			b.StartTimer()
			page, resp := readAll(b)(torMultipartUpload(b.Context(), c, base+"/report", "file",
				map[string]string{"category": "other", "message": "benchmark upload"}, torUploadSize))
			if resp.Request.URL.Path != "/sent" {
				b.Fatalf("upload ended at %s (%d): %.300s", resp.Request.URL.Path, resp.StatusCode, page)
			}
		}
	})
	b.Run("onionshare", func(b *testing.B) {
		net := privateTorNetwork(b)
		ctx := b.Context()
		serviceTor, err := net.NewClient(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer serviceTor.Close()
		dir := b.TempDir()
		_, port, _ := strings.Cut(serviceTor.ControlAddr(), ":")
		p, _ := strconv.Atoi(port)
		cfg, _ := json.Marshal(map[string]any{
			"connection_type": "control_port", "control_port_address": "127.0.0.1",
			"control_port_port": p, "auth_type": "no_auth",
		})
		cfgFile := filepath.Join(dir, "onionshare.json")
		os.WriteFile(cfgFile, cfg, 0o600)
		received := filepath.Join(dir, "received")
		cmd := exec.Command("onionshare-cli", "--receive", "--public", "--config", cfgFile, "--data-dir", received)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		onionRE := regexp.MustCompile(`http://([a-z2-7]{56}\.onion)`)
		var host string
		for deadline := time.Now().Add(2 * time.Minute); host == ""; {
			if m := onionRE.FindStringSubmatch(out.String()); m != nil {
				host = m[1]
			} else if time.Now().After(deadline) {
				b.Fatalf("onionshare-cli printed no address:\n%s", out)
			} else {
				time.Sleep(200 * time.Millisecond)
			}
		}
		client := torNet.Client()
		reach(b, client, host)
		b.SetBytes(torUploadSize)
		for b.Loop() {
			c := onionHTTP(client)
			page, resp := readAll(b)(torMultipartUpload(ctx, c, "http://"+host+"/upload", "file[]", nil, torUploadSize))
			if resp.StatusCode >= 400 {
				b.Fatalf("onionshare upload: %d %.300s", resp.StatusCode, page)
			}
		}
		b.StopTimer()
		var total int64
		filepath.WalkDir(received, func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if fi, err := d.Info(); err == nil {
					total += fi.Size()
				}
			}
			return nil
		})
		if total < torUploadSize {
			b.Fatalf("onionshare stored %d bytes, want at least %d:\n%s", total, torUploadSize, out)
		}
	})
}

// TestTorServeWithoutTorBinary: a missing tor is a one-line error with a
// hint, and nothing is served.
func TestTorServeWithoutTorBinary(t *testing.T) {
	bin, data, _ := torInstance(t)
	out, err := exec.Command(bin, "serve", "--data", data, "--tor-binary", "/nonexistent/tor",
		"--source-addr", "127.0.0.1:0", "--journalist-addr", "127.0.0.1:0").CombinedOutput()
	if err == nil {
		t.Fatalf("serve without tor succeeded:\n%s", out)
	}
	if !strings.Contains(string(out), "tor not found") || !strings.Contains(string(out), "hint:") {
		t.Errorf("serve without tor said:\n%s", out)
	}
	if strings.Contains(string(out), "source interface:") {
		t.Errorf("serve started serving without tor:\n%s", out)
	}
}

// TestTorOnionCommandBeforeServe: `candor onion` on a new instance says
// that no key exists yet, and creates none.
func TestTorOnionCommandBeforeServe(t *testing.T) {
	bin, data, _ := torInstance(t)
	out, err := exec.Command(bin, "onion", "--data", data).CombinedOutput()
	if err != nil {
		t.Fatalf("candor onion: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "no key yet") {
		t.Errorf("candor onion on a new instance:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(data, "tor", "source.key")); err == nil {
		t.Error("candor onion created the source key")
	}
}

// TestDemoTorInterrupt: `candor demo --tor` re-executes itself in a
// loopback-only network namespace, prints both onion addresses, and an
// interrupt sent to the command the user started (not to its process
// group) stops everything: it waits for the demo inside the namespace,
// which stops every tor it started and removes its temporary directory.
func TestDemoTorInterrupt(t *testing.T) {
	bin, _, _ := torInstance(t)
	tmp := filepath.Join(t.TempDir(), "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	// Registered after TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		for _, p := range demoProcesses(tmp) {
			t.Errorf("a process of the demo still runs: %s", p.cmdline)
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "demo", "--tor")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = w, stderr
	// Wait returns when candor exits, even if a process it left behind
	// still holds its stderr.
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	onions := make(chan string, 2)
	go func() {
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if m := onionLineRE.FindStringSubmatch(sc.Text()); m != nil {
				onions <- m[2]
			}
		}
	}()
	timeout := time.After(5 * time.Minute)
	for range 2 {
		select {
		case <-onions:
		case err := <-done:
			t.Fatalf("candor demo --tor exited (%v) before printing both onion addresses:\n%s", err, stderr)
		case <-timeout:
			cmd.Process.Signal(os.Interrupt)
			t.Fatalf("candor demo --tor printed no onion addresses:\n%s", stderr)
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("candor demo --tor after an interrupt: %v\n%s", err, stderr)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("candor demo --tor did not stop on an interrupt:\n%s", stderr)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("after the demo exited, %s still holds %v", tmp, left)
	}
}

type demoProcess struct {
	pid     int
	cmdline string
}

// demoProcesses lists the running processes whose environment has
// TMPDIR=tmp: every process of a demo started with it (candor inside the
// namespace, the tors).
func demoProcesses(tmp string) []demoProcess {
	var out []demoProcess
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range procs {
		env, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(append([]byte{0}, env...), []byte("\x00TMPDIR="+tmp+"\x00")) {
			continue
		}
		dir := filepath.Dir(p)
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		out = append(out, demoProcess{pid, string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))})
	}
	return out
}
