package main

// OWNER: journalist helper. Replace the stub.

import (
	"context"
	"log/slog"
	"net/http"
)

// newJournalistHandler builds the journalist interface (pages + JSON API)
// and starts its background jobs (retention) until ctx ends.
func newJournalistHandler(ctx context.Context, inst *instance, logger *slog.Logger) (h http.Handler, close func(), err error) {
	return http.NotFoundHandler(), func() {}, nil
}
