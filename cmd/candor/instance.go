package main

// OWNER: foundation helper. Replace the stubs below.

import (
	"context"
	"errors"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// instance is an opened data directory.
type instance struct {
	dir     string
	store   *store.Store
	pepper  []byte
	kdf     crypto.KDFParams
	signing *crypto.SigningKey
}

func openInstance(dir string) (*instance, error) { return nil, errors.New("not implemented") }

func (in *instance) submissionKeys(ctx context.Context) ([]*crypto.PublicKey, error) {
	return nil, errors.New("not implemented")
}

func (in *instance) Close() error { return nil }
