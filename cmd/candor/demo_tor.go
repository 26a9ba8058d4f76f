package main

// OWNER: tor helper. The private Tor network of `candor demo --tor`.

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/candor-drop/candor/tor/tortest"
)

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
	return file, n.SocksAddr(), func() { n.Close() }, nil
}
