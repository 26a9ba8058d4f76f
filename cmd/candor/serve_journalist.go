package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/candor-drop/candor/journalist"
	"github.com/candor-drop/candor/tor"
)

// journalistKeyFile is the journalist onion service key inside DIR.
const journalistKeyFile = "tor/journalist.key"

// newJournalistHandler builds the journalist interface (pages + JSON API)
// and starts its background jobs (retention, daily) until ctx ends or
// close is called.
func newJournalistHandler(ctx context.Context, inst *instance, logger *slog.Logger) (h http.Handler, closeFn func(), err error) {
	srv, err := newJournalistServer(inst, logger)
	if err != nil {
		return nil, nil, err
	}
	jctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.RunRetentionEvery(jctx, 24*time.Hour)
	}()
	return srv.Handler(), func() { cancel(); <-done }, nil
}

// newJournalistServer is the journalist side of an instance, also used by
// the reviewer, export and apply-replies commands.
func newJournalistServer(inst *instance, logger *slog.Logger) (*journalist.Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return journalist.New(journalist.Config{
		Store:          inst.store,
		Signing:        inst.signing,
		SubmissionKeys: inst.submissionKeys,
		NewClientAuth:  clientAuthMaker(inst.dir),
		Logger:         logger,
	})
}

// clientAuthMaker returns the function that makes a reviewer's x25519
// client-authorization key for the journalist onion service of the
// instance in dir (creating the service key if it does not exist yet, so
// the address is fixed from the first reviewer on).
func clientAuthMaker(dir string) func() (public, line string, err error) {
	return func() (string, string, error) {
		_, onionID, err := tor.LoadOrCreateServiceKey(filepath.Join(dir, filepath.FromSlash(journalistKeyFile)))
		if err != nil {
			return "", "", fmt.Errorf("unable to read the journalist onion key: %w", err)
		}
		pub, priv, err := tor.GenerateClientAuthKey()
		if err != nil {
			return "", "", err
		}
		return pub, strings.TrimSpace(tor.ClientAuthLine(onionID, priv)), nil
	}
}
