package main

import (
	"log/slog"
	"net/http"

	"github.com/candor-drop/candor/source"
)

// newSourceHandler builds the source interface. onionHost, when not empty, is
// the only Host the pages accept without a warning. close releases resources.
func newSourceHandler(inst *instance, onionHost string, logger *slog.Logger) (h http.Handler, close func(), err error) {
	srv, err := source.New(source.Config{
		Store:          inst.store,
		Pepper:         inst.pepper,
		KDF:            inst.kdf,
		SubmissionKeys: inst.submissionKeys,
		OnionHost:      onionHost,
		Logger:         logger,
	})
	if err != nil {
		return nil, nil, err
	}
	return srv.Handler(), func() { srv.Close() }, nil
}
