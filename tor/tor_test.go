package tor_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/candor-drop/candor/tor"
	"github.com/candor-drop/candor/tor/tortest"
)

// One private network for every test in the package: it takes ~30 s.
var (
	network  *tortest.Network
	startErr error
	fragment string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tortest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	network, startErr = tortest.Start(ctx, dir, func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) })
	cancel()
	if startErr == nil {
		fragment, startErr = network.WriteTorrcFragment()
	}
	code := m.Run()
	if network != nil {
		network.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func needNetwork(t *testing.T) {
	t.Helper()
	if startErr != nil {
		t.Fatalf("private Tor network: %v", startErr) // fail, never skip
	}
}

// serveText serves body on a new loopback port.
func serveText(t *testing.T, body string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

type keySet struct {
	mu   sync.Mutex
	keys []string
}

func (k *keySet) set(keys ...string) { k.mu.Lock(); k.keys = keys; k.mu.Unlock() }
func (k *keySet) get(context.Context) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.keys...), nil
}

func startTor(t *testing.T, keys *keySet) (*tor.Tor, string) {
	t.Helper()
	dir := t.TempDir()
	sk, _, err := tor.LoadOrCreateServiceKey(filepath.Join(dir, "source.key"))
	if err != nil {
		t.Fatal(err)
	}
	jk, _, err := tor.LoadOrCreateServiceKey(filepath.Join(dir, "journalist.key"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	tr, err := tor.Start(ctx, tor.Config{
		DataDir:          filepath.Join(dir, "data"),
		TorrcExtra:       fragment,
		SourceKey:        sk,
		JournalistKey:    jk,
		SourceTarget:     serveText(t, "source"),
		JournalistTarget: serveText(t, "journalist"),
		ClientAuthKeys:   keys.get,
		PollInterval:     time.Hour, // the tests call Reload
		Logger:           slog.New(slog.NewTextHandler(tWriter{t}, nil)),
	})
	if err != nil {
		t.Fatalf("tor.Start: %v", err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, dir
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Logf("%s", p); return len(p), nil }

func get(ctx context.Context, c *tortest.Client, host string) (string, error) {
	if err := c.WaitReachable(ctx, host+":80"); err != nil {
		return "", err
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+host+"/", nil)
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestSourceServiceReachableWithPoW(t *testing.T) {
	needNetwork(t)
	tr, _ := startTor(t, &keySet{})
	if !tr.PoW() {
		t.Errorf("PoW defence is off; Debian's tor 0.4.9 supports it")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	body, err := get(ctx, network.Client(), tr.SourceOnion())
	if err != nil || body != "source" {
		t.Fatalf("GET source onion = %q, %v\n%s", body, err, network.Logs())
	}
}

func TestJournalistServiceClientAuth(t *testing.T) {
	needNetwork(t)
	pub, priv, err := tor.GenerateClientAuthKey()
	if err != nil {
		t.Fatal(err)
	}
	otherPub, otherPriv, err := tor.GenerateClientAuthKey()
	if err != nil {
		t.Fatal(err)
	}
	keys := &keySet{}
	keys.set(pub, otherPub)
	tr, _ := startTor(t, keys)
	id := tr.JournalistOnion()[:56]
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()

	reviewer, err := network.NewClient(ctx, tortest.ClientAuth{OnionID: id, PrivateKey: priv})
	if err != nil {
		t.Fatal(err)
	}
	defer reviewer.Close()
	body, err := get(ctx, reviewer, tr.JournalistOnion())
	if err != nil || body != "journalist" {
		t.Fatalf("authorized reviewer: GET journalist onion = %q, %v", body, err)
	}

	// A client without a key is refused by tor itself.
	_, err = get(ctx, network.Client(), tr.JournalistOnion())
	if code := tortest.SOCKSCode(err); code != tortest.CodeMissingClientAuth {
		t.Fatalf("client without key: err = %v, want SOCKS code 0x%X", err, tortest.CodeMissingClientAuth)
	}

	// Revoke: the same reviewer client, which has the descriptor and a
	// circuit, can no longer connect.
	keys.set(otherPub)
	if err := tr.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = get(ctx, reviewer, tr.JournalistOnion())
	if code := tortest.SOCKSCode(err); code != tortest.CodeWrongClientAuth && code != tortest.CodeMissingClientAuth {
		t.Fatalf("revoked reviewer: err = %v, want a client-authorization refusal", err)
	}
	// The reviewer still authorized gets in after the re-publication.
	other, err := network.NewClient(ctx, tortest.ClientAuth{OnionID: id, PrivateKey: otherPriv})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if body, err := get(ctx, other, tr.JournalistOnion()); err != nil || body != "journalist" {
		t.Fatalf("remaining reviewer: GET journalist onion = %q, %v", body, err)
	}
}

func TestDoneWhenTorDies(t *testing.T) {
	needNetwork(t)
	tr, _ := startTor(t, &keySet{})
	select {
	case <-tr.Done():
		t.Fatal("Done closed while tor runs")
	default:
	}
	if err := syscall.Kill(tr.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-tr.Done():
	case <-time.After(time.Minute):
		t.Fatal("Done not closed after tor was killed")
	}
}

// With no reviewer key the journalist service is not published at all,
// never published without client authorization; it appears once a key does.
func TestJournalistServiceNeedsAKey(t *testing.T) {
	needNetwork(t)
	keys := &keySet{}
	tr, _ := startTor(t, keys)
	src, jrn := strings.TrimSuffix(tr.SourceOnion(), ".onion"), strings.TrimSuffix(tr.JournalistOnion(), ".onion")
	onions, err := tr.CurrentOnions()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(onions, src) || slices.Contains(onions, jrn) {
		t.Fatalf("with no client key tor runs %v; want the source service %s only", onions, src)
	}
	pub, _, _ := tor.GenerateClientAuthKey()
	keys.set(pub, "not a key") // a bad key must not stop the others
	if err := tr.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	onions, err = tr.CurrentOnions()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(onions, jrn) {
		t.Fatalf("after adding a key tor runs %v; want %s too", onions, jrn)
	}
}

func TestStartRejectsBadTorrcLines(t *testing.T) {
	needNetwork(t) // runs tor (--verify-config only), so inside the namespace
	dir := t.TempDir()
	extra := filepath.Join(dir, "extra.torrc")
	os.WriteFile(extra, []byte("NoSuchTorOption 1\n"), 0o600)
	sk, _, _ := tor.LoadOrCreateServiceKey(filepath.Join(dir, "s.key"))
	jk, _, _ := tor.LoadOrCreateServiceKey(filepath.Join(dir, "j.key"))
	_, err := tor.Start(t.Context(), tor.Config{
		DataDir: filepath.Join(dir, "data"), TorrcExtra: extra,
		SourceKey: sk, JournalistKey: jk,
		SourceTarget: "127.0.0.1:1", JournalistTarget: "127.0.0.1:2",
		ClientAuthKeys: (&keySet{}).get,
	})
	if err == nil || !strings.Contains(err.Error(), "NoSuchTorOption") {
		t.Fatalf("Start with a bad torrc line: %v; want tor's complaint about it", err)
	}
}

func TestServiceKeyPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tor", "source.key")
	k1, id1, err := tor.LoadOrCreateServiceKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	k2, id2, err := tor.LoadOrCreateServiceKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 || !k1.Equal(k2) {
		t.Errorf("reloaded key differs: %s vs %s", id1, id2)
	}
	if len(id1) != 56 || tor.OnionID(k1) != id1 {
		t.Errorf("onion id %q", id1)
	}
}

func TestStartRefusesNonLoopbackTarget(t *testing.T) {
	dir := t.TempDir()
	sk, _, _ := tor.LoadOrCreateServiceKey(filepath.Join(dir, "s.key"))
	jk, _, _ := tor.LoadOrCreateServiceKey(filepath.Join(dir, "j.key"))
	_, err := tor.Start(t.Context(), tor.Config{
		TorBinary: "/nonexistent/tor", DataDir: filepath.Join(dir, "data"),
		SourceKey: sk, JournalistKey: jk,
		SourceTarget: "0.0.0.0:8080", JournalistTarget: "127.0.0.1:8081",
		ClientAuthKeys: (&keySet{}).get,
	})
	if err == nil {
		t.Fatal("Start accepted a target that is not loopback")
	}
}

func TestClientAuthKeyPair(t *testing.T) {
	pub, priv, err := tor.GenerateClientAuthKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(pub) != 52 || len(priv) != 52 {
		t.Fatalf("key lengths %d, %d; tor wants 52 base32 characters", len(pub), len(priv))
	}
	got, err := tor.ClientAuthPublicKey(priv)
	if err != nil || got != pub {
		t.Fatalf("ClientAuthPublicKey = %q, %v; want %q", got, err, pub)
	}
}

// A running client given a key over its control port (as `candor demo
// --tor` does for the demo reviewer) reaches the journalist service.
func TestClientAuthAddedAtRuntime(t *testing.T) {
	needNetwork(t)
	pub, priv, err := tor.GenerateClientAuthKey()
	if err != nil {
		t.Fatal(err)
	}
	keys := &keySet{}
	keys.set(pub)
	tr, _ := startTor(t, keys)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	c, err := network.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AddClientAuth(ctx, tortest.ClientAuth{OnionID: strings.TrimSuffix(tr.JournalistOnion(), ".onion"), PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	if body, err := get(ctx, c, tr.JournalistOnion()); err != nil || body != "journalist" {
		t.Fatalf("GET journalist onion after ONION_CLIENT_AUTH_ADD = %q, %v", body, err)
	}
}
