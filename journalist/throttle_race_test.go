package journalist

import (
	"errors"
	"sync"
	"testing"
)

// Concurrent attempts on one account must not get past the per-account
// limit: the count and the record of an attempt are one step, so a burst
// of parallel guesses is throttled like a sequence of them.
func TestLoginThrottleHoldsUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	e.reviewer("alice", false)
	const n = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	tried := 0
	gate := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			_, err := e.srv.authenticate(e.ctx, "alice", "wrong guess", "123456")
			if errors.Is(err, errLoginFailed) {
				mu.Lock()
				tried++
				mu.Unlock()
			} else if !errors.Is(err, errThrottled) {
				t.Errorf("authenticate: %v", err)
			}
		}()
	}
	close(gate)
	wg.Wait()
	if tried > loginAttemptsLimit {
		t.Fatalf("%d passphrase guesses were checked in one minute; the limit is %d", tried, loginAttemptsLimit)
	}
}
