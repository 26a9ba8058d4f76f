package main

// OWNER: tor helper. Replace the stubs.

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

// torRuntime is the Tor side of `candor serve`.
type torRuntime struct{}

// prepareTor loads (or creates) the onion keys of the instance; it starts
// nothing. The addresses are known from the keys.
func prepareTor(inst *instance, o serveOptions, logger *slog.Logger) (*torRuntime, error) {
	return nil, errors.New("tor not implemented")
}

// sourceOnionHost is the source service's host name ("xxxx.onion").
func (t *torRuntime) sourceOnionHost() string { return "" }

// start starts tor and publishes the source service (PoW on) to sourceAddr and
// the journalist service (client auth) to journalistAddr, printing both
// addresses to stdout and logging whether PoW is on.
func (t *torRuntime) start(ctx context.Context, sourceAddr, journalistAddr string, stdout io.Writer) error {
	return errors.New("tor not implemented")
}

// done is closed when tor exits.
func (t *torRuntime) done() <-chan struct{} { return nil }

func (t *torRuntime) close() {}
