package tor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cretz/bine/process"
	btor "github.com/cretz/bine/tor"
)

// Config configures Start.
type Config struct {
	// TorBinary is the tor executable; "" means "tor" on the PATH.
	TorBinary string
	// DataDir is tor's data directory (created 0700 if missing). The
	// generated torrc is written into it.
	DataDir string
	// TorrcExtra, if not empty, is a file whose lines are appended to the
	// generated torrc (later lines override earlier ones in tor).
	TorrcExtra string

	// SourceKey and JournalistKey are the onion service keys (see
	// LoadOrCreateServiceKey).
	SourceKey, JournalistKey ed25519.PrivateKey
	// SourceTarget and JournalistTarget are the loopback host:port
	// addresses tor forwards the services' port 80 to.
	SourceTarget, JournalistTarget string

	// ClientAuthKeys returns the reviewers' x25519 public keys (base32, as
	// from GenerateClientAuthKey): one client authorization per key on the
	// journalist service. Required.
	ClientAuthKeys func(context.Context) ([]string, error)
	// PollInterval is how often ClientAuthKeys is called; 0 means 5 s.
	PollInterval time.Duration

	// Logger receives Candor's messages about tor and tor's own warnings.
	// nil discards them.
	Logger *slog.Logger
}

// Tor is a running tor with Candor's onion services published.
type Tor struct {
	cfg    Config
	log    *slog.Logger
	bt     *btor.Tor
	proc   *proc
	cancel context.CancelFunc

	sourceID, journalistID string
	pow                    bool

	mu        sync.Mutex // serialises control commands and the fields below
	published []string   // client keys the journalist service runs with; nil: not yet decided
	jUp       bool       // journalist service is currently added

	reload    chan chan error
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Start starts tor, waits for it to bootstrap and publishes both onion
// services. ctx bounds the start-up only; the services run until Close
// or until tor exits (Done).
func Start(ctx context.Context, cfg Config) (*Tor, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("tor: no data directory")
	}
	if len(cfg.SourceKey) != ed25519.PrivateKeySize || len(cfg.JournalistKey) != ed25519.PrivateKeySize {
		return nil, errors.New("tor: missing onion service key")
	}
	if cfg.ClientAuthKeys == nil {
		return nil, errors.New("tor: no ClientAuthKeys function")
	}
	for _, a := range []string{cfg.SourceTarget, cfg.JournalistTarget} {
		if err := checkLoopback(a); err != nil {
			return nil, err
		}
	}
	if cfg.TorBinary == "" {
		cfg.TorBinary = "tor"
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 5 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("tor: unable to resolve data directory: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("tor: unable to create data directory: %w", err)
	}
	torrc, err := writeTorrc(dataDir, cfg.TorrcExtra)
	if err != nil {
		return nil, err
	}
	// A rejected line would otherwise show only as "unable to read control
	// port file" from bine.
	if out, err := exec.CommandContext(ctx, cfg.TorBinary, "--verify-config", "--hush",
		"-f", torrc, "--DataDirectory", dataDir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("tor: tor rejects the configuration %s: %w: %s", torrc, err, lastLines(out, 3))
	}

	t := &Tor{
		cfg:          cfg,
		log:          log,
		sourceID:     OnionID(cfg.SourceKey),
		journalistID: OnionID(cfg.JournalistKey),
		reload:       make(chan chan error),
		stop:         make(chan struct{}),
	}
	// The process lives until Close, not until ctx ends.
	lifeCtx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	creator := &creator{bin: cfg.TorBinary, out: &lineLogger{log: log}, started: make(chan *proc, 1)}
	log.Info("starting tor", "binary", cfg.TorBinary, "data", dataDir)
	var bt *btor.Tor
	for attempt := 1; ; attempt++ {
		bt, err = btor.Start(lifeCtx, &btor.StartConf{
			ProcessCreator:  creator,
			DataDir:         dataDir,
			TorrcFile:       torrc,
			EnableNetwork:   true,
			NoAutoSocksPort: true, // the generated torrc says SocksPort 0
			ExtraArgs:       []string{"__OwningControllerProcess", strconv.Itoa(os.Getpid())},
		})
		select {
		case t.proc = <-creator.started:
		default:
		}
		if err == nil {
			break
		}
		if t.proc != nil {
			t.proc.kill()
			<-t.proc.done
		}
		// bine waits only 2 s for tor to write its control port file; a
		// slow start deserves a second chance, a bad configuration does not.
		if attempt == 2 || !strings.Contains(err.Error(), "control port file") || ctx.Err() != nil {
			cancel()
			return nil, fmt.Errorf("tor: unable to start tor: %w", err)
		}
		log.Warn("tor was slow to start; trying again", "err", err)
	}
	t.bt = bt
	log.Info("tor started", "pid", t.PID())
	fail := func(err error) (*Tor, error) {
		t.Close()
		return nil, err
	}
	// Exit when the control connection closes, even if Close is never called.
	if err := bt.Control.TakeOwnership(); err != nil {
		return fail(fmt.Errorf("tor: unable to take ownership of tor: %w", err))
	}
	if err := t.waitBootstrap(ctx); err != nil {
		return fail(err)
	}
	if err := t.publishSource(); err != nil {
		return fail(err)
	}
	if err := t.refresh(ctx); err != nil {
		return fail(err)
	}
	t.wg.Add(1)
	go t.poll(lifeCtx)
	return t, nil
}

// SourceOnion is the source service's host name, "<id>.onion".
func (t *Tor) SourceOnion() string { return t.sourceID + ".onion" }

// JournalistOnion is the journalist service's host name, "<id>.onion".
func (t *Tor) JournalistOnion() string { return t.journalistID + ".onion" }

// PoW reports whether the source service runs with the proof-of-work
// defence.
func (t *Tor) PoW() bool { return t.pow }

// Done is closed when the tor process has exited.
func (t *Tor) Done() <-chan struct{} { return t.proc.done }

// PID is the process id of tor.
func (t *Tor) PID() int { return t.proc.cmd.Process.Pid }

// Reload re-reads the client authorization keys now and re-publishes the
// journalist service if they changed.
func (t *Tor) Reload(ctx context.Context) error {
	ch := make(chan error, 1)
	select {
	case t.reload <- ch:
	case <-t.stop:
		return errors.New("tor: closed")
	case <-t.proc.done:
		return errors.New("tor: tor has exited")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close removes both onion services and stops tor.
func (t *Tor) Close() error {
	t.closeOnce.Do(func() {
		close(t.stop)
		t.wg.Wait()
		t.mu.Lock()
		defer t.mu.Unlock()
		alive := true
		select {
		case <-t.proc.done:
			alive = false
		default:
		}
		if alive && t.bt.Control != nil {
			// Onions before tor: bine panics the other way round when it
			// owns them, and the services should go first anyway.
			if t.jUp {
				t.bt.Control.DelOnion(t.journalistID)
				t.jUp = false
			}
			t.bt.Control.DelOnion(t.sourceID)
		}
		t.bt.Close() // HALT, close the control connection, wait briefly
		t.proc.kill()
		<-t.proc.done
		t.cancel()
	})
	return t.closeErr
}

func (t *Tor) waitBootstrap(ctx context.Context) error {
	last := ""
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		vals, err := t.bt.Control.GetInfo("status/bootstrap-phase")
		if err == nil && len(vals) == 1 {
			f := fields(vals[0].Val)
			if f["TAG"] != last {
				last = f["TAG"]
				t.log.Info("tor bootstrapping", "progress", f["PROGRESS"], "phase", f["TAG"])
			}
			if f["PROGRESS"] == "100" {
				t.log.Info("tor bootstrapped")
				return nil
			}
		}
		select {
		case <-t.proc.done:
			return errors.New("tor: tor exited while bootstrapping")
		case <-ctx.Done():
			return fmt.Errorf("tor: unable to bootstrap (last phase %q): %w", last, ctx.Err())
		case <-tick.C:
		}
	}
}

// fields parses `NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"`.
func fields(s string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(s) {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = strings.Trim(v, `"`)
		}
	}
	return m
}

func (t *Tor) addOnion(key ed25519.PrivateKey, flags, extra, target string) error {
	// Sent by hand: bine's AddOnion knows only the v2 ClientAuth and no PoW.
	cmd := "ADD_ONION ED25519-V3:" + torKeyBlob(key) + " Flags=" + flags
	if extra != "" {
		cmd += " " + extra
	}
	cmd += " Port=80," + target
	_, err := t.bt.Control.SendRequest("%s", cmd)
	return err
}

func (t *Tor) publishSource() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.addOnion(t.cfg.SourceKey, "DiscardPK", "PoWDefensesEnabled=1", t.cfg.SourceTarget)
	if err == nil {
		t.pow = true
		t.log.Info("proof-of-work DoS defence is ON for the source onion service")
	} else {
		t.log.Warn("tor refused the proof-of-work defence; publishing the source onion service without it", "err", err)
		if err := t.addOnion(t.cfg.SourceKey, "DiscardPK", "", t.cfg.SourceTarget); err != nil {
			return fmt.Errorf("tor: unable to publish the source onion service: %w", err)
		}
		t.log.Warn("proof-of-work DoS defence is OFF for the source onion service (this tor lacks it)")
	}
	t.log.Info("source onion service published", "address", t.SourceOnion())
	return nil
}

// refresh reads the client keys and re-publishes the journalist service if
// they changed.
func (t *Tor) refresh(ctx context.Context) error {
	raw, err := t.cfg.ClientAuthKeys(ctx)
	if err != nil {
		return fmt.Errorf("tor: unable to read reviewers' client keys: %w", err)
	}
	keys := make([]string, 0, len(raw))
	for _, k := range raw {
		if strings.TrimSpace(k) == "" {
			continue
		}
		n, err := normaliseClientAuthKey(k)
		if err != nil {
			// One bad key must not lock every reviewer out.
			t.log.Warn("ignoring a reviewer client authorization key", "err", err)
			continue
		}
		keys = append(keys, n)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.published != nil && slices.Equal(keys, t.published) {
		return nil
	}
	if t.jUp {
		// Deleting the service closes its circuits: a revoked client loses
		// its connection as well as the descriptor.
		if err := t.bt.Control.DelOnion(t.journalistID); err != nil {
			return fmt.Errorf("tor: unable to remove the journalist onion service: %w", err)
		}
		t.jUp = false
		t.published = nil
		// DEL_ONION leaves the rendezvous circuits open "for existing
		// connections to finish", and a re-added service with the same key
		// takes them over: a revoked reviewer could go on opening streams
		// on theirs. Close them all; authorized reviewers reconnect.
		if err := t.closeRendCircuits(t.journalistID); err != nil {
			return err
		}
	}
	if len(keys) == 0 {
		t.published = keys
		t.log.Warn("journalist onion service not published: no reviewer has a client authorization key")
		return nil
	}
	extra := "ClientAuthV3=" + strings.Join(keys, " ClientAuthV3=")
	if err := t.addOnion(t.cfg.JournalistKey, "DiscardPK,V3Auth", extra, t.cfg.JournalistTarget); err != nil {
		return fmt.Errorf("tor: unable to publish the journalist onion service: %w", err)
	}
	t.jUp = true
	t.published = keys
	t.log.Info("journalist onion service published", "address", t.JournalistOnion(), "authorized_clients", len(keys))
	return nil
}

// closeRendCircuits closes the service-side rendezvous circuits of the
// service with the given onion id.
func (t *Tor) closeRendCircuits(id string) error {
	vals, err := t.bt.Control.GetInfo("circuit-status")
	if err != nil {
		return fmt.Errorf("tor: unable to list circuits: %w", err)
	}
	for _, v := range vals {
		for _, line := range strings.Split(v.Val, "\n") {
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			kv := fields(line)
			if kv["PURPOSE"] == "HS_SERVICE_REND" && kv["REND_QUERY"] == id {
				if _, err := t.bt.Control.SendRequest("CLOSECIRCUIT %s", f[0]); err != nil {
					t.log.Warn("unable to close a rendezvous circuit of the journalist service", "err", err)
				}
			}
		}
	}
	return nil
}

func (t *Tor) poll(ctx context.Context) {
	defer t.wg.Done()
	tick := time.NewTicker(t.cfg.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-t.proc.done:
			return
		case <-tick.C:
			if err := t.refresh(ctx); err != nil {
				t.log.Error("journalist onion service", "err", err)
			}
		case ch := <-t.reload:
			ch <- t.refresh(ctx)
		}
	}
}

// writeTorrc writes the generated configuration, followed by the lines of
// extra, to dataDir/torrc.
func writeTorrc(dataDir, extra string) (string, error) {
	var b bytes.Buffer
	b.WriteString(`# Generated by candor serve on every start; do not edit.
# Put your own lines in a file and pass it with --torrc.
SocksPort 0
# GeoIP is not needed by onion services; without it tor starts at once.
GeoIPFile ""
GeoIPv6File ""
SafeLogging 1
AvoidDiskWrites 1
`)
	if extra != "" {
		more, err := os.ReadFile(extra)
		if err != nil {
			return "", fmt.Errorf("tor: unable to read torrc lines: %w", err)
		}
		fmt.Fprintf(&b, "\n# From %s:\n", extra)
		b.Write(more)
		b.WriteString("\n")
	}
	path := filepath.Join(dataDir, "torrc")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("tor: unable to write torrc: %w", err)
	}
	return path, nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}

func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return fmt.Errorf("tor: bad target address %q", addr)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("tor: refusing target %q: not a loopback IP address", addr)
	}
	return nil
}

// creator is a bine process.Creator that ties tor to this process and
// lets several goroutines wait for it.
type creator struct {
	bin     string
	out     io.Writer
	started chan *proc
}

func (c *creator) New(ctx context.Context, args ...string) (process.Process, error) {
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Stdout = c.out
	cmd.Stderr = c.out
	// Its own process group: a Ctrl-C at the terminal reaches candor, which
	// shuts down in order, and not tor directly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	c.started <- p
	return p, nil
}

type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start starts tor from a goroutine locked to its OS thread, which then
// waits for tor: Pdeathsig fires when the thread that started the child
// exits, and Go may end idle threads, which would kill tor by mistake.
func (p *proc) Start() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with tor
		if err := p.cmd.Start(); err != nil {
			started <- err
			close(p.done)
			return
		}
		started <- nil
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return <-started
}

// Wait may be called any number of times.
func (p *proc) Wait() error { <-p.done; return p.err }

func (p *proc) EmbeddedControlConn() (net.Conn, error) {
	return nil, process.ErrControlConnUnsupported
}

func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		if p.cmd.Process != nil {
			p.cmd.Process.Kill()
		}
	}
}

// torTimestamp is the start of a line of tor's log, "Nov 25 22:01:30.114 ".
var torTimestamp = regexp.MustCompile(`^[A-Z][a-z]{2} +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)? +`)

// lineLogger passes tor's output to the logger line by line, without
// tor's timestamps.
type lineLogger struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(l.buf[:i]))
		// Without tor's timestamp: a warning caused by a client would
		// otherwise record the exact time of a source's activity.
		line = torTimestamp.ReplaceAllString(line, "")
		if line != "" {
			l.log.Warn("tor: " + line)
		}
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 4096 {
		l.buf = l.buf[:0]
	}
	return len(p), nil
}
