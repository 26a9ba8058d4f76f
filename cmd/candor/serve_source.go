package main

// OWNER: source helper. Replace the stub.

import (
	"errors"
	"log/slog"
	"net/http"
)

// newSourceHandler builds the source interface. onionHost, when not empty, is
// the only Host the pages accept without a warning. close releases resources.
func newSourceHandler(inst *instance, onionHost string, logger *slog.Logger) (h http.Handler, close func(), err error) {
	return nil, nil, errors.New("source interface not implemented")
}
