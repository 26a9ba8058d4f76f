package main

// The private Tor network of `candor demo --tor`.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/candor-drop/candor/tor/tortest"
)

// demoNet is the demo's private network, once started.
var demoNet *tortest.Network

// startDemoTorNetwork starts the private Tor network under dir (the caller is
// already in a loopback-only network namespace; tortest refuses otherwise)
// and returns the path of a file of torrc lines for joining it (what
// `serve --torrc` takes) and the SOCKS address of a client on it. stop kills
// the network's tor processes.
func startDemoTorNetwork(ctx context.Context, dir string, stdout io.Writer) (torrcFragment string, socksAddr string, stop func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", nil, err
	}
	fmt.Fprintln(stdout, "Starting a private Tor network on 127.0.0.1 (about 30 s)…")
	n, err := tortest.Start(ctx, dir, func(format string, args ...any) {
		fmt.Fprintf(stdout, format+"\n", args...)
	})
	if err != nil {
		return "", "", nil, err
	}
	file, err := n.WriteTorrcFragment()
	if err != nil {
		n.Close()
		return "", "", nil, err
	}
	demoNet = n
	return file, n.SocksAddr(), func() { n.Close() }, nil
}

// authorizeDemoReviewer gives the demo network's SOCKS client the
// reviewer's client-authorization key (the "<onion id>:descriptor:x25519:
// <key>" line `candor reviewer add` prints), so the journalist onion can be
// opened through the printed SOCKS port.
func authorizeDemoReviewer(ctx context.Context, clientAuthLine string) error {
	if demoNet == nil {
		return errors.New("demo: the private Tor network is not running")
	}
	f := strings.Split(strings.TrimSpace(clientAuthLine), ":")
	if len(f) != 4 || f[1] != "descriptor" || f[2] != "x25519" {
		return errors.New("demo: not a client-authorization line")
	}
	return demoNet.Client().AddClientAuth(ctx, tortest.ClientAuth{OnionID: f[0], PrivateKey: f[3]})
}
