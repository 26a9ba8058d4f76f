package source

import (
	"context"
	"errors"
	"time"

	"github.com/candor-drop/candor/crypto"
)

// errBusy: too many codename derivations are running or waiting.
var errBusy = errors.New("source: too many logins at once")

// kdfLimiter bounds concurrent codename derivations (each Argon2id call
// takes tens of MiB and a core) and the number of requests waiting for one.
type kdfLimiter struct {
	derive1 func(codename string, pepper []byte, p crypto.KDFParams) (*crypto.SourceIdentity, error)
	slots   chan struct{}
	queue   chan struct{}
	wait    time.Duration
}

func newKDFLimiter(n, queue int, wait time.Duration) *kdfLimiter {
	return &kdfLimiter{derive1: crypto.DeriveSource, slots: make(chan struct{}, n), queue: make(chan struct{}, n+queue), wait: wait}
}

// derive runs crypto.DeriveSource on a normalised codename when a slot is
// free. It returns errBusy at once if the queue is full, or after the wait.
func (l *kdfLimiter) derive(ctx context.Context, codename string, pepper []byte, p crypto.KDFParams) (*crypto.SourceIdentity, error) {
	select {
	case l.queue <- struct{}{}:
	default:
		return nil, errBusy
	}
	defer func() { <-l.queue }()
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
	case <-t.C:
		return nil, errBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-l.slots }()
	return l.derive1(codename, pepper, p)
}
