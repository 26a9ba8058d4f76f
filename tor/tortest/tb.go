package tortest

import (
	"context"
	"time"
)

// TB is the part of testing.TB that New uses (this package does not import
// testing, so that `candor demo --tor` can use it).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	TempDir() string
	Context() context.Context
}

// New starts a network for one test and stops it when the test ends. A
// test run outside a loopback-only network namespace fails (it is not
// skipped).
func New(tb TB) *Network {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 5*time.Minute)
	defer cancel()
	n, err := Start(ctx, tb.TempDir(), tb.Logf)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(func() { n.Close() })
	return n
}
