package main

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
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// sourceBinary builds the real candor binary into a temporary directory.
func sourceBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "candor")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// sourceInstance builds candor, runs `candor init` in a fresh directory with
// a new submission key, and lowers the KDF cost for the test. It returns the
// binary, the data directory and the submission private key.
func sourceInstance(t testing.TB) (string, string, *crypto.PrivateKey) {
	return sourceInstanceKDF(t, &crypto.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1})
}

// sourceInstanceKDF is sourceInstance with the given KDF parameters (nil:
// the instance's defaults).
func sourceInstanceKDF(t testing.TB, kdfParams *crypto.KDFParams) (string, string, *crypto.PrivateKey) {
	t.Helper()
	bin := sourceBinary(t)
	data, sk := newTestInstanceKDF(t, kdfParams)
	return bin, data, sk
}

// sourceServer is a running `candor serve --tor=off`.
type sourceServer struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	done   chan struct{}
}

var sourceAddrRE = regexp.MustCompile(`source interface:\s+(http://\S+?)/?\s*$`)

func startSourceServer(t testing.TB, bin, data string) *sourceServer {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--tor=off", "--data", data, "--source-addr", "127.0.0.1:0", "--journalist-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &sourceServer{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{w: s.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := sourceAddrRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	select {
	case s.url = <-found:
	case <-s.done:
		t.Fatalf("candor serve exited: %s", s.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("candor serve printed no address: %s", s.stderr)
	}
	return s
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// sourceSession gets a codename and a session on the source interface.
func sourceSession(t testing.TB, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + "/new")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`id="codename">([a-z -]+)<`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no codename on /new: %s", b)
	}
	resp, err = c.PostForm(base+"/new", url.Values{"codename": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /new: %d", resp.StatusCode)
	}
	return c
}

// crashFileContent is the attachment of upload i: size bytes that name it.
func crashFileContent(i, size int) []byte {
	pat := []byte(fmt.Sprintf("crash-upload-%02d|", i))
	return bytes.Repeat(pat, size/len(pat)+1)[:size]
}

// TestSourceCrashDuringUploads starts 20 concurrent uploads against the real
// binary, kills it with SIGKILL while ten of them are half-way through,
// restarts it, and checks that every acknowledged upload is stored and
// decrypts, that every item listed is complete (decrypts), and that nothing
// of an upload cut off by the kill is listed: not its file, and not its
// report either, although the report had been stored before the file
// arrived (a submission is committed only when it is acknowledged).
func TestSourceCrashDuringUploads(t *testing.T) {
	bin, data, sk := sourceInstance(t)
	srv := startSourceServer(t, bin, data)

	const n = 20
	const size = 3 << 20
	clients := make([]*http.Client, n)
	for i := range clients {
		clients[i] = sourceSession(t, srv.url)
	}

	release := make(chan struct{}) // closed after the kill: the stalled uploads may go on (and fail)
	var halfway sync.WaitGroup     // the stalled uploads have sent half their file
	var ackedA [n]atomic.Bool
	var wg sync.WaitGroup
	for i := range n {
		stall := i%2 == 1
		if stall {
			halfway.Add(1)
		}
		wg.Go(func() {
			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			go func() {
				mw.WriteField("category", "other")
				mw.WriteField("message", fmt.Sprintf("crash-report-%02d", i))
				h := make(textproto.MIMEHeader)
				h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="crash-%02d.bin"`, i))
				h.Set("Content-Type", "application/octet-stream")
				fw, _ := mw.CreatePart(h)
				content := crashFileContent(i, size)
				if stall {
					fw.Write(content[:size/2])
					halfway.Done()
					<-release
				}
				if _, err := fw.Write(content[boolInt(stall)*size/2:]); err != nil {
					pw.CloseWithError(err)
					return
				}
				pw.CloseWithError(mw.Close())
			}()
			req, _ := http.NewRequest("POST", srv.url+"/report", pr)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			c := *clients[i]
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := c.Do(req)
			if err != nil {
				pr.CloseWithError(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ackedA[i].Store(resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/sent")
		})
	}
	// Wait for the ten complete uploads to be answered and the ten others to
	// be half-way, then kill the server.
	halfway.Wait()
	waitAcks := make(chan struct{})
	go func() {
		for {
			done := 0
			for i := 0; i < n; i += 2 {
				if ackedA[i].Load() {
					done++
				}
			}
			if done == n/2 {
				close(waitAcks)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	select {
	case <-waitAcks:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the complete uploads were not all acknowledged\n%s", srv.stderr)
	}
	// Give the server a moment to encrypt and write what it has received
	// of the stalled uploads (a pacing delay, not an assertion).
	time.Sleep(300 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-srv.done
	close(release)
	wg.Wait()
	acked := make([]bool, n)
	for i := range n {
		acked[i] = ackedA[i].Load()
	}
	if entries, err := os.ReadDir(filepath.Join(data, "blobs")); err == nil {
		tmp := 0
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tmp") {
				tmp++
			}
		}
		t.Logf("%d blobs were being written when the server was killed", tmp)
	}

	for i := range n {
		if want := i%2 == 0; acked[i] != want {
			t.Errorf("upload %d acknowledged=%v, want %v", i, acked[i], want)
		}
	}

	// Restart: the server comes back and serves.
	srv2 := startSourceServer(t, bin, data)
	resp, err := http.Get(srv2.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("landing page after restart: %d", resp.StatusCode)
	}
	srv2.cmd.Process.Signal(syscall.SIGTERM)
	<-srv2.done

	// Every listed item decrypts; every acknowledged upload is there.
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	srcs, err := st.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reports := map[int]bool{}
	files := map[int]bool{}
	for _, src := range srcs {
		items, err := st.Items(ctx, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			rc, _, err := st.OpenItem(ctx, it.ID)
			if err != nil {
				t.Fatalf("item %s listed but cannot be opened: %v", it.ID, err)
			}
			var pt bytes.Buffer
			err = crypto.DecryptTo(&pt, rc, sk)
			rc.Close()
			if err != nil {
				t.Errorf("item %s (%s, %d bytes) is listed but does not decrypt: %v", it.ID, it.Kind, it.Size, err)
				continue
			}
			var i int
			switch it.Kind {
			case store.KindMessage:
				var d struct{ Message string }
				json.Unmarshal(pt.Bytes(), &d)
				if _, err := fmt.Sscanf(d.Message, "crash-report-%d", &i); err != nil {
					t.Errorf("unexpected report %q", d.Message)
					continue
				}
				reports[i] = true
			case store.KindFile:
				line, body, _ := bytes.Cut(pt.Bytes(), []byte("\n"))
				var h struct{ Filename string }
				json.Unmarshal(line, &h)
				if _, err := fmt.Sscanf(h.Filename, "crash-%d.bin", &i); err != nil {
					t.Errorf("unexpected file %q", h.Filename)
					continue
				}
				if !bytes.Equal(body, crashFileContent(i, size)) {
					t.Errorf("file of upload %d is stored incomplete or wrong (%d bytes)", i, len(body))
				}
				files[i] = true
			}
		}
	}
	for i := range n {
		if acked[i] && (!reports[i] || !files[i]) {
			t.Errorf("acknowledged upload %d: report stored %v, file stored %v", i, reports[i], files[i])
		}
		if !acked[i] && (reports[i] || files[i]) {
			t.Errorf("upload %d was cut off but is listed: report %v, file %v", i, reports[i], files[i])
		}
	}
	// No temporary blob is left behind.
	entries, _ := os.ReadDir(filepath.Join(data, "blobs"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("temporary blob left after restart: %s", e.Name())
		}
	}
	// The server's output names no file, report or client.
	for _, out := range []string{srv.stderr.String(), srv2.stderr.String()} {
		for _, leak := range []string{"crash-", "127.0.0.1:", "Go-http-client"} {
			if strings.Contains(out, leak) {
				t.Errorf("server output contains %q:\n%s", leak, out)
			}
		}
	}
	t.Logf("acknowledged %d of %d uploads; %d reports and %d files listed after the crash", countTrue(acked), n, len(reports), len(files))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// TestSourceSIGTERMDuringUploads sends SIGTERM while uploads are half-way:
// `candor serve` stops taking new connections but lets them finish, every
// one is acknowledged and stored complete, and the process exits cleanly.
func TestSourceSIGTERMDuringUploads(t *testing.T) {
	bin, data, sk := sourceInstance(t)
	srv := startSourceServer(t, bin, data)
	const n = 6
	const size = 1 << 20
	clients := make([]*http.Client, n)
	for i := range clients {
		clients[i] = sourceSession(t, srv.url)
	}
	release := make(chan struct{})
	var halfway, wg sync.WaitGroup
	var acked [n]atomic.Bool
	for i := range n {
		halfway.Add(1)
		wg.Go(func() {
			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			go func() {
				mw.WriteField("message", fmt.Sprintf("crash-report-%02d", i))
				h := make(textproto.MIMEHeader)
				h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="crash-%02d.bin"`, i))
				fw, _ := mw.CreatePart(h)
				content := crashFileContent(i, size)
				fw.Write(content[:size/2])
				halfway.Done()
				<-release
				fw.Write(content[size/2:])
				pw.CloseWithError(mw.Close())
			}()
			req, _ := http.NewRequest("POST", srv.url+"/report", pr)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			c := *clients[i]
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := c.Do(req)
			if err != nil {
				t.Errorf("upload %d: %v", i, err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			acked[i].Store(resp.StatusCode == http.StatusSeeOther)
		})
	}
	halfway.Wait()
	time.Sleep(200 * time.Millisecond) // pacing: let the server read the first halves
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once the listener is closed.
	for deadline := time.Now().Add(time.Minute); ; {
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(srv.url + "/")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("candor serve still accepts connections a minute after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	<-srv.done
	if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("candor serve exited with %d after SIGTERM:\n%s", code, srv.stderr)
	}
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	srcs, _ := st.Sources(ctx)
	files := 0
	for _, src := range srcs {
		items, _ := st.Items(ctx, src.ID)
		for _, it := range items {
			rc, _, err := st.OpenItem(ctx, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			var pt bytes.Buffer
			err = crypto.DecryptTo(&pt, rc, sk)
			rc.Close()
			if err != nil {
				t.Errorf("item %s does not decrypt: %v", it.ID, err)
			}
			if it.Kind == store.KindFile {
				files++
			}
		}
	}
	for i := range n {
		if !acked[i].Load() {
			t.Errorf("upload %d in flight at SIGTERM was not acknowledged", i)
		}
	}
	if files != n {
		t.Errorf("%d files stored, want %d", files, n)
	}
}
