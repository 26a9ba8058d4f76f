package main

// OWNER: tor helper. Replace the stub.

import (
	"context"
	"errors"
	"io"
)

// startDemoTorNetwork starts the private Tor network under dir (the caller is
// already in a loopback-only network namespace) and returns a torrc fragment
// for joining it and a SOCKS address of a client on it.
func startDemoTorNetwork(ctx context.Context, dir string, stdout io.Writer) (torrcFragment string, socksAddr string, stop func(), err error) {
	return "", "", nil, errors.New("private Tor network not implemented")
}
