// Package tortest runs a private Tor network on 127.0.0.1 — three directory
// authorities, three relays and a client — for tests and for
// `candor demo --tor`. Onion services and further clients join it with
// the lines of TorrcFragment.
//
// Safety: Start refuses to run unless this process is in a network
// namespace whose only interface is loopback (CheckLoopbackOnly), so a
// mistake in a configuration can never reach the public Tor network. Every
// tor it starts is killed when this process dies (Pdeathsig) and by Close,
// which kills only the processes this package started.
package tortest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cretz/bine/control"
)

// CheckLoopbackOnly returns an error unless the only network interface is
// an up "lo" whose addresses are 127.0.0.1/8 and ::1/128 at most: a network
// namespace such as `unshare -n` (and `ip link set lo up`) gives.
func CheckLoopbackOnly() error {
	ifs, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("tortest: unable to list network interfaces: %w", err)
	}
	var list []iface
	for _, i := range ifs {
		addrs, err := i.Addrs()
		if err != nil {
			return fmt.Errorf("tortest: unable to list addresses of %s: %w", i.Name, err)
		}
		f := iface{name: i.Name, up: i.Flags&net.FlagUp != 0}
		for _, a := range addrs {
			f.addrs = append(f.addrs, a.String())
		}
		list = append(list, f)
	}
	return checkInterfaces(list)
}

type iface struct {
	name  string
	up    bool
	addrs []string
}

func checkInterfaces(ifs []iface) error {
	const hint = "; run inside a loopback-only network namespace (go test -exec \"$PWD/.ci/netns\", or unshare -n)"
	lo := false
	for _, i := range ifs {
		if i.name != "lo" {
			return fmt.Errorf("tortest: refusing to start tor: network interface %q is not loopback%s", i.name, hint)
		}
		lo = i.up
		for _, a := range i.addrs {
			if a != "127.0.0.1/8" && a != "::1/128" {
				return fmt.Errorf("tortest: refusing to start tor: lo has address %s%s", a, hint)
			}
		}
	}
	if !lo {
		return errors.New("tortest: refusing to start tor: the loopback interface is missing or down (ip link set lo up)")
	}
	return nil
}

// Network is a running private Tor network.
type Network struct {
	dir      string
	logf     func(string, ...any)
	fragment string
	client   *Client

	mu    sync.Mutex
	procs []*proc
	seq   int
}

type proc struct {
	name string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

const (
	nAuthorities = 3
	nRelays      = 3
	// Lowest voting schedule tor accepts: the network is usable in ~30 s.
	votingInterval = 10 * time.Second
)

// Start brings up the network under dir (which must exist and be empty or
// new) and returns when its client has bootstrapped and sees every relay.
// logf, if not nil, receives progress messages.
func Start(ctx context.Context, dir string, logf func(format string, args ...any)) (*Network, error) {
	if err := CheckLoopbackOnly(); err != nil {
		return nil, err
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	n := &Network{dir: dir, logf: logf}
	began := time.Now()
	if err := n.start(ctx); err != nil {
		n.Close()
		return nil, err
	}
	n.logf("tortest: network ready in %v; SOCKS %s", time.Since(began).Round(100*time.Millisecond), n.client.SocksAddr())
	return n, nil
}

type node struct {
	name             string
	dir              string
	orPort, dirPort  int
	controlPort      int
	authority        bool
	v3ident, fingerp string
}

func (n *Network) start(ctx context.Context) error {
	var nodes []*node
	for i := 0; i < nAuthorities+nRelays; i++ {
		nd := &node{authority: i < nAuthorities}
		if nd.authority {
			nd.name = fmt.Sprintf("auth%d", i)
		} else {
			nd.name = fmt.Sprintf("relay%d", i-nAuthorities)
		}
		nd.dir = filepath.Join(n.dir, nd.name)
		if err := os.MkdirAll(filepath.Join(nd.dir, "keys"), 0o700); err != nil {
			return err
		}
		nodes = append(nodes, nd)
	}
	ports, err := freePorts(3*len(nodes) + 2)
	if err != nil {
		return err
	}
	for i, nd := range nodes {
		nd.orPort, nd.dirPort, nd.controlPort = ports[3*i], ports[3*i+1], ports[3*i+2]
	}

	// Authorities' keys and the DirAuthority lines every node shares.
	var dirAuth strings.Builder
	for _, nd := range nodes[:nAuthorities] {
		if err := n.authorityKeys(ctx, nd); err != nil {
			return err
		}
		fmt.Fprintf(&dirAuth, "DirAuthority %s orport=%d no-v2 v3ident=%s 127.0.0.1:%d %s\n",
			nd.name, nd.orPort, nd.v3ident, nd.dirPort, nd.fingerp)
	}
	n.fragment = `TestingTorNetwork 1
PathsNeededToBuildCircuits 0.67
GeoIPFile ""
GeoIPv6File ""
ShutdownWaitLength 0
` + dirAuth.String()

	var torrcs []string
	for _, nd := range nodes {
		torrc := filepath.Join(nd.dir, "torrc")
		if err := os.WriteFile(torrc, []byte(nodeTorrc(nd, dirAuth.String())), 0o600); err != nil {
			return err
		}
		if err := verifyConfig(ctx, torrc); err != nil {
			return err
		}
		torrcs = append(torrcs, torrc)
	}

	// Start just after a voting round begins, so that the relays upload
	// their descriptors before the first vote: it saves a whole round.
	wait := time.Until(time.Now().Truncate(votingInterval).Add(votingInterval + 300*time.Millisecond))
	n.logf("tortest: starting %d authorities and %d relays in %v", nAuthorities, nRelays, wait.Round(100*time.Millisecond))
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return ctx.Err()
	}
	for i, nd := range nodes {
		if err := n.run(nd.name, nd.dir, torrcs[i]); err != nil {
			return err
		}
	}
	c, err := n.newClient(ctx, "client", nil)
	if err != nil {
		return err
	}
	n.client = c
	return nil
}

func (n *Network) authorityKeys(ctx context.Context, nd *node) error {
	keys := filepath.Join(nd.dir, "keys")
	cmd := exec.CommandContext(ctx, "tor-gencert", "--create-identity-key", "--passphrase-fd", "0", "-m", "12",
		"-i", filepath.Join(keys, "authority_identity_key"),
		"-s", filepath.Join(keys, "authority_signing_key"),
		"-c", filepath.Join(keys, "authority_certificate"),
		"-a", fmt.Sprintf("127.0.0.1:%d", nd.dirPort))
	cmd.Stdin = strings.NewReader("\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("tortest: tor-gencert: %w: %s", err, out)
	}
	cert, err := os.ReadFile(filepath.Join(keys, "authority_certificate"))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(cert), "\n") {
		if f, ok := strings.CutPrefix(line, "fingerprint "); ok {
			nd.v3ident = strings.TrimSpace(f)
		}
	}
	// Only prints the relay identity (creating it); starts no network.
	cmd = exec.CommandContext(ctx, "tor", "--ignore-missing-torrc", "-f", "/nonexistent",
		"--DataDirectory", nd.dir, "--ORPort", "1", "--list-fingerprint", "--quiet")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("tortest: tor --list-fingerprint: %w", err)
	}
	f := strings.Fields(string(out))
	if nd.v3ident == "" || len(f) < 2 {
		return fmt.Errorf("tortest: unable to read the keys of %s", nd.name)
	}
	nd.fingerp = strings.Join(f[1:], "")
	return nil
}

func commonTorrc(name, dir string, controlPort int, dirAuth string) string {
	return fmt.Sprintf(`TestingTorNetwork 1
DataDirectory %s
Nickname %s
Log notice file %s
PathsNeededToBuildCircuits 0.67
TestingDirAuthVoteExit *
TestingDirAuthVoteHSDir *
TestingDirAuthVoteGuard *
TestingMinExitFlagThreshold 0
V3AuthNIntervalsValid 2
GeoIPFile ""
GeoIPv6File ""
ShutdownWaitLength 0
ControlPort 127.0.0.1:%d
CookieAuthentication 1
%s`, dir, name, filepath.Join(dir, "notice.log"), controlPort, dirAuth)
}

func nodeTorrc(nd *node, dirAuth string) string {
	s := commonTorrc(nd.name, nd.dir, nd.controlPort, dirAuth) + fmt.Sprintf(`SocksPort 0
Address 127.0.0.1
ORPort 127.0.0.1:%d
DirPort 127.0.0.1:%d
AddressDisableIPv6 1
ExitRelay 0
ExitPolicy reject *:*
AssumeReachable 1
`, nd.orPort, nd.dirPort)
	if nd.authority {
		s += `AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
TestingV3AuthInitialVotingInterval 10
TestingV3AuthInitialVoteDelay 2
TestingV3AuthInitialDistDelay 2
V3AuthVotingInterval 10
V3AuthVoteDelay 2
V3AuthDistDelay 2
`
	}
	return s
}

// verifyConfig checks a torrc first: a rejected option would otherwise
// make the node silently not start.
func verifyConfig(ctx context.Context, torrc string) error {
	out, err := exec.CommandContext(ctx, "tor", "--verify-config", "-f", torrc).CombinedOutput()
	if err != nil {
		return fmt.Errorf("tortest: tor rejects %s: %w\n%s", torrc, err, out)
	}
	return nil
}

// run starts one tor and records its process.
func (n *Network) run(name, dir, torrc string) error {
	cmd := exec.Command("tor", "-f", torrc)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	p := &proc{name: name, dir: dir, cmd: cmd, done: make(chan struct{})}
	// Pdeathsig fires when the starting thread ends: start and wait from
	// one goroutine locked to its thread, so that tor dies with this
	// process and not with an idle thread.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("tortest: unable to start tor %s: %w", name, err)
	}
	n.mu.Lock()
	n.procs = append(n.procs, p)
	n.mu.Unlock()
	return nil
}

// TorrcFragment is the torrc lines with which a tor joins the network (an
// onion service's tor, or a client). Append them to a configuration that
// has its own DataDirectory, SocksPort and ControlPort.
func (n *Network) TorrcFragment() string { return n.fragment }

// WriteTorrcFragment writes TorrcFragment to a new file in the network's
// directory and returns its path (for `candor serve --torrc`).
func (n *Network) WriteTorrcFragment() (string, error) {
	f, err := os.CreateTemp(n.dir, "join-*.torrc")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(n.fragment)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

// SocksAddr is the SOCKS address of the network's own client (without
// client authorization keys).
func (n *Network) SocksAddr() string { return n.client.SocksAddr() }

// Client returns the network's own client.
func (n *Network) Client() *Client { return n.client }

// ClientAuth is a client authorization key for one onion service.
type ClientAuth struct {
	OnionID    string // without ".onion"
	PrivateKey string // base32 x25519 private key
}

// NewClient starts a further client tor holding the given client
// authorization keys, and returns once it is ready.
func (n *Network) NewClient(ctx context.Context, auths ...ClientAuth) (*Client, error) {
	n.mu.Lock()
	n.seq++
	name := fmt.Sprintf("client%d", n.seq)
	n.mu.Unlock()
	return n.newClient(ctx, name, auths)
}

func (n *Network) newClient(ctx context.Context, name string, auths []ClientAuth) (*Client, error) {
	dir := filepath.Join(n.dir, name)
	authDir := filepath.Join(dir, "onion-auth")
	if err := os.MkdirAll(authDir, 0o700); err != nil {
		return nil, err
	}
	for _, a := range auths {
		line := a.OnionID + ":descriptor:x25519:" + strings.ToUpper(a.PrivateKey) + "\n"
		if err := os.WriteFile(filepath.Join(authDir, a.OnionID+".auth_private"), []byte(line), 0o600); err != nil {
			return nil, err
		}
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	torrc := filepath.Join(dir, "torrc")
	conf := fmt.Sprintf("DataDirectory %s\nNickname %s\nLog notice file %s\nControlPort 127.0.0.1:%d\nCookieAuthentication 1\n"+
		"SocksPort 127.0.0.1:%d ExtendedErrors\nClientOnionAuthDir %s\n%s",
		dir, name, filepath.Join(dir, "notice.log"), ports[0], ports[1], authDir, n.fragment)
	if err := os.WriteFile(torrc, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	if err := verifyConfig(ctx, torrc); err != nil {
		return nil, err
	}
	if err := n.run(name, dir, torrc); err != nil {
		return nil, err
	}
	n.mu.Lock()
	p := n.procs[len(n.procs)-1]
	n.mu.Unlock()
	c := &Client{name: name, socks: fmt.Sprintf("127.0.0.1:%d", ports[1]), control: fmt.Sprintf("127.0.0.1:%d", ports[0]), p: p}
	if err := n.waitReady(ctx, p, ports[0]); err != nil {
		return nil, err
	}
	return c, nil
}

// waitReady waits until the client has bootstrapped and its consensus
// lists every authority and relay.
func (n *Network) waitReady(ctx context.Context, p *proc, controlPort int) error {
	addr := fmt.Sprintf("127.0.0.1:%d", controlPort)
	var conn *control.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	status := "not started"
	for {
		select {
		case <-p.done:
			return fmt.Errorf("tortest: tor %s exited; see %s", p.name, filepath.Join(p.dir, "notice.log"))
		case <-ctx.Done():
			return fmt.Errorf("tortest: %s not ready (%s): %w; see %s", p.name, status, ctx.Err(), filepath.Join(p.dir, "notice.log"))
		case <-time.After(500 * time.Millisecond):
		}
		if conn == nil {
			tc, err := textproto.Dial("tcp", addr)
			if err != nil {
				continue
			}
			conn = control.NewConn(tc)
			if err := conn.Authenticate(""); err != nil {
				conn.Close()
				conn = nil
				continue
			}
		}
		vals, err := conn.GetInfo("status/bootstrap-phase")
		if err != nil || len(vals) != 1 {
			continue
		}
		status = vals[0].Val
		if !strings.Contains(status, "PROGRESS=100") {
			continue
		}
		vals, err = conn.GetInfo("ns/all")
		if err != nil || len(vals) != 1 {
			continue
		}
		routers := strings.Count("\n"+vals[0].Val, "\nr ")
		status = fmt.Sprintf("bootstrapped, %d of %d routers in consensus", routers, nAuthorities+nRelays)
		if routers >= nAuthorities+nRelays {
			return nil
		}
	}
}

// Close kills every tor the network started (and only those) and waits
// for them to exit. It does not remove the directory.
func (n *Network) Close() error {
	n.mu.Lock()
	procs := n.procs
	n.procs = nil
	n.mu.Unlock()
	for _, p := range procs {
		p.kill()
	}
	return nil
}

func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

// Logs returns the last lines of every node's log, for a failing test.
func (n *Network) Logs() string {
	var b bytes.Buffer
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.procs {
		data, _ := os.ReadFile(filepath.Join(p.dir, "notice.log"))
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 8 {
			lines = lines[len(lines)-8:]
		}
		fmt.Fprintf(&b, "== %s\n%s\n", p.name, strings.Join(lines, "\n"))
	}
	return b.String()
}

func freePorts(k int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range k {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("tortest: unable to find a free port: %w", err)
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
