package source

import (
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/candor-drop/candor/source/sourcetest"
)

// socks5 is a minimal SOCKS5 proxy (no auth, CONNECT only) that sends every
// connection for host to target, and refuses any other destination. It
// counts the connections it carried.
type socks5 struct {
	ln        net.Listener
	host      string
	target    string
	carried   atomic.Int32
	refused   atomic.Int32
	wrongPort atomic.Int32 // the onion host, on another port (an HTTPS upgrade attempt)
	mu        sync.Mutex
	others    map[string]bool
}

func newSOCKS5(t *testing.T, host, target string) *socks5 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &socks5{ln: ln, host: host, target: target, others: map[string]bool{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *socks5) serve(c net.Conn) {
	defer c.Close()
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 5 {
		return
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return
	}
	c.Write([]byte{5, 0})
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil || req[1] != 1 {
		return
	}
	var host string
	switch req[3] {
	case 3: // domain name: what a client resolving through the proxy sends
		var n [1]byte
		io.ReadFull(c, n[:])
		b := make([]byte, n[0])
		io.ReadFull(c, b)
		host = string(b)
	case 1:
		b := make([]byte, 4)
		io.ReadFull(c, b)
		host = net.IP(b).String()
	default:
		return
	}
	var port [2]byte
	io.ReadFull(c, port[:])
	if host != p.host || binary.BigEndian.Uint16(port[:]) != 80 {
		p.refused.Add(1)
		if host == p.host {
			p.wrongPort.Add(1)
		}
		p.mu.Lock()
		p.others[net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:]))))] = true
		p.mu.Unlock()
		c.Write([]byte{5, 4, 0, 1, 0, 0, 0, 0, 0, 0}) // host unreachable
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Write([]byte{5, 1, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	p.carried.Add(1)
	c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	go io.Copy(up, c)
	io.Copy(c, up)
}

// TestBrowserJourneyThroughProxy runs the browser journey the way the Tor
// test does: through a SOCKS5 proxy, to an .onion host name that only the
// proxy can resolve, with the interface's Host check switched on.
func TestBrowserJourneyThroughProxy(t *testing.T) {
	const onion = "candortestaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaad.onion"
	e := newEnv(t, func(c *Config) { c.OnionHost = onion })
	// e.ts is reachable only through the proxy under the onion name.
	proxy := newSOCKS5(t, onion, e.ts.Listener.Addr().String())
	sourcetest.RunJourney(t, "http://"+onion, sourcetest.Options{
		ProxyServer: "socks5://" + proxy.ln.Addr().String(),
		AddReply: func(t testing.TB, codename string) string {
			e.addReply(codename, "Reply through the proxy.")
			return "Reply through the proxy."
		},
	})
	if proxy.carried.Load() == 0 {
		t.Errorf("the browser did not go through the proxy")
	}
	if n := proxy.wrongPort.Load(); n != 0 {
		t.Errorf("the browser tried the onion on another port %d times (HTTPS upgrade?)", n)
	}
	// Chromium's component updater still asks for its servers despite
	// --disable-component-update; the proxy refuses, and over Tor the
	// private test network has no exit. Logged, not failed.
	proxy.mu.Lock()
	for d := range proxy.others {
		t.Logf("proxy refused a background request to %s", d)
	}
	proxy.mu.Unlock()
	if len(e.items()) != 2 {
		t.Errorf("%d items stored, want the report and its file", len(e.items()))
	}
	// The same server, reached by its address instead of the onion name,
	// warns instead of serving.
	c := e.client()
	if p := c.get("/"); p.status != 421 {
		t.Errorf("direct access by address: %d", p.status)
	}
}
