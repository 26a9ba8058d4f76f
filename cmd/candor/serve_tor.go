package main

// The Tor side of `candor serve`: starts the system tor
// through package tor and publishes the source and journalist onions.

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/candor-drop/candor/tor"
)

// Paths inside DIR (journalistKeyFile is in serve_journalist.go).
const (
	sourceKeyFile = "tor/source.key"
	torDataDir    = "tor/data"
)

// torRuntime is the Tor side of `candor serve`.
type torRuntime struct {
	inst   *instance
	o      serveOptions
	logger *slog.Logger

	sourceKey, journalistKey ed25519.PrivateKey
	sourceID, journalistID   string

	t *tor.Tor
}

// prepareTor loads (or creates) the onion keys of the instance; it starts
// nothing. The addresses are known from the keys.
func prepareTor(inst *instance, o serveOptions, logger *slog.Logger) (*torRuntime, error) {
	if _, err := exec.LookPath(o.torBinary); err != nil {
		return nil, withHint(fmt.Errorf("serve: tor not found (%s): %w", o.torBinary, err),
			"install tor (apt install tor), give its path with --tor-binary, or use --tor=off to serve on loopback only")
	}
	if o.torrc != "" {
		if _, err := os.ReadFile(o.torrc); err != nil {
			return nil, fmt.Errorf("serve: unable to read --torrc file: %w", err)
		}
	}
	rt := &torRuntime{inst: inst, o: o, logger: logger}
	var err error
	rt.sourceKey, rt.sourceID, err = tor.LoadOrCreateServiceKey(filepath.Join(inst.dir, filepath.FromSlash(sourceKeyFile)))
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	rt.journalistKey, rt.journalistID, err = tor.LoadOrCreateServiceKey(filepath.Join(inst.dir, filepath.FromSlash(journalistKeyFile)))
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	return rt, nil
}

// sourceOnionHost is the source service's host name ("xxxx.onion").
func (t *torRuntime) sourceOnionHost() string { return t.sourceID + ".onion" }

// start starts tor and publishes the source service (PoW on) to sourceAddr and
// the journalist service (client auth) to journalistAddr, printing both
// addresses to stdout and logging whether PoW is on.
func (t *torRuntime) start(ctx context.Context, sourceAddr, journalistAddr string, stdout io.Writer) error {
	tr, err := tor.Start(ctx, tor.Config{
		TorBinary:        t.o.torBinary,
		DataDir:          filepath.Join(t.inst.dir, filepath.FromSlash(torDataDir)),
		TorrcExtra:       t.o.torrc,
		SourceKey:        t.sourceKey,
		JournalistKey:    t.journalistKey,
		SourceTarget:     sourceAddr,
		JournalistTarget: journalistAddr,
		ClientAuthKeys:   t.clientAuthKeys,
		Logger:           t.logger,
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("serve: stopped while tor was starting: %w", err)
		}
		return withHint(fmt.Errorf("serve: %w", err), "check tor's messages above; --torrc FILE adds torrc lines")
	}
	t.t = tr
	fmt.Fprintf(stdout, "source onion:         http://%s/\n", tr.SourceOnion())
	fmt.Fprintf(stdout, "journalist onion:     http://%s/ (client authorization required)\n", tr.JournalistOnion())
	return nil
}

// clientAuthKeys is every reviewer's client-authorization public key.
func (t *torRuntime) clientAuthKeys(ctx context.Context) ([]string, error) {
	m, err := t.inst.store.ClientAuthKeys(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Values(m)), nil
}

// done is closed when tor exits.
func (t *torRuntime) done() <-chan struct{} {
	if t.t == nil {
		return nil
	}
	return t.t.Done()
}

func (t *torRuntime) close() {
	if t.t != nil {
		t.t.Close()
	}
}
