package journalist

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// A login that checked the old passphrase and code while an admin reset
// the account must not end with a session: the reset is meant to lock out
// whoever holds the old credentials.
func TestLoginInFlightDuringResetGetsNoSession(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	rv, err := e.st.ReviewerByName(e.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	newHash, err := HashPassword("new passphrase")
	if err != nil {
		t.Fatal(err)
	}
	code := e.code(c.TOTPSecret)

	// Hold the Argon2id slots so that the login stops inside its
	// passphrase check, after it has read the account.
	for range cap(hashSem) {
		hashSem <- struct{}{}
	}
	done := make(chan *http.Response)
	go func() {
		done <- e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "passphrase": {c.Passphrase}, "one_time_code": {code}})
	}()
	for {
		n, err := e.st.LoginAttemptsSince(e.ctx, rv.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := e.st.ResetReviewerCredentials(e.ctx, rv.ID, newHash, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); err != nil {
		t.Fatal(err)
	}
	for range cap(hashSem) {
		<-hashSem
	}
	resp := <-done
	b := body(t, resp)
	if resp.StatusCode == http.StatusSeeOther {
		t.Fatalf("a login with the credentials of before the reset got a session: %d %s", resp.StatusCode, b)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
}
