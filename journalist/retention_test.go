package journalist

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/candor-drop/candor/store"
)

// TestRetentionKeepsASourceActiveAfterTheListing: a source that logs in
// and submits between the retention job's listing and its deletes is kept
// with what it just sent; one a reviewer deleted meanwhile is not counted.
func TestRetentionKeepsASourceActiveAfterTheListing(t *testing.T) {
	e := newEnv(t)
	today := start
	e.clock.Set(today.AddDate(0, 0, -400))
	stale, _ := e.addSource()
	e.addItem(stale.ID, "old report")
	returning, _ := e.addSource()
	e.addItem(returning.ID, "first report")
	gone, _ := e.addSource()
	e.clock.Set(today)
	set := store.DefaultSettings
	set.RetentionDays = 365
	if err := e.st.SaveSettings(e.ctx, set); err != nil {
		t.Fatal(err)
	}

	var justSent *store.Item
	e.srv.retentionListed = func(ids []string) {
		for _, id := range []string{stale.ID, returning.ID, gone.ID} {
			if !slices.Contains(ids, id) {
				t.Errorf("source %s not listed as inactive", id)
			}
		}
		// The source logs in and submits; a reviewer deletes another.
		if err := e.st.TouchSource(e.ctx, returning.ID); err != nil {
			t.Fatal(err)
		}
		justSent = e.addItem(returning.ID, "second report")
		if err := e.srv.DeleteSource(e.ctx, "alice", gone.ID); err != nil {
			t.Fatal(err)
		}
	}
	n, err := e.srv.RunRetention(e.ctx)
	if err != nil || n != 1 {
		t.Fatalf("retention deleted %d, err %v; want 1", n, err)
	}
	if _, err := e.st.Source(e.ctx, stale.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("stale source kept: %v", err)
	}
	src, err := e.st.Source(e.ctx, returning.ID)
	if err != nil {
		t.Fatalf("source active after the listing was deleted: %v", err)
	}
	if src.ItemCount != 2 || src.LastActiveDay != today.Format(time.DateOnly) {
		t.Fatalf("returning source %+v", src)
	}
	if _, err := e.st.Item(e.ctx, justSent.ID); err != nil {
		t.Fatalf("item sent after the listing: %v", err)
	}
	audit, _ := e.st.AuditLog(e.ctx, 1)
	if len(audit) != 1 || audit[0].Actor != "system" || audit[0].Detail != "sources=1 retention_days=365" {
		t.Fatalf("retention audit %+v", audit)
	}
}

// TestRetentionPurgesExpiredSessions: the daily job deletes the session
// rows past their idle or absolute lifetime, per kind, and only those,
// even when source retention is off.
func TestRetentionPurgesExpiredSessions(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	rv, err := e.st.ReviewerByName(e.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	set := store.DefaultSettings
	set.RetentionDays = 0
	if err := e.st.SaveSettings(e.ctx, set); err != nil {
		t.Fatal(err)
	}
	// A real API session, then the clock moves past its idle lifetime.
	tok := e.token(c)
	e.clock.Advance(apiIdle)
	now := e.clock.Now().Unix()
	sec := func(d time.Duration) int64 { return int64(d / time.Second) }
	rows := map[string]struct {
		kind          string
		created, seen int64
		expired       bool
	}{
		"web idle":          {"web", now - sec(time.Hour), now - sec(webIdle), true},
		"web absolute":      {"web", now - sec(webLifetime), now - 5, true},
		"web live":          {"web", now - sec(webLifetime) + 1, now - sec(webIdle) + 1, false},
		"api idle":          {"api", now - sec(3*time.Hour), now - sec(apiIdle), true},
		"api absolute":      {"api", now - sec(apiLifetime), now - 5, true},
		"api live":          {"api", now - sec(apiLifetime) + 1, now - sec(apiIdle) + 1, false},
		"api idle over web": {"api", now - sec(time.Hour), now - sec(time.Hour), false},
	}
	for name, r := range rows {
		if err := e.st.CreateSession(e.ctx, store.ReviewerSession{IDHash: hashToken(name), ReviewerID: rv.ID, Kind: r.kind, CreatedUnix: r.created, LastSeenUnix: r.seen}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.st.Session(e.ctx, hashToken(tok)); err != nil {
		t.Fatalf("API session row before the job: %v", err)
	}

	if n, err := e.srv.RunRetention(e.ctx); err != nil || n != 0 {
		t.Fatalf("retention: %d, %v", n, err)
	}
	if _, err := e.st.Session(e.ctx, hashToken(tok)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired API session row kept: %v", err)
	}
	for name, r := range rows {
		_, err := e.st.Session(e.ctx, hashToken(name))
		if gone := errors.Is(err, store.ErrNotFound); gone != r.expired {
			t.Errorf("session %q: deleted=%v, want %v (err %v)", name, gone, r.expired, err)
		}
		// The job agrees with what a request would be told.
		_, err = e.srv.sessionReviewer(e.ctx, name, r.kind)
		if refused := errors.Is(err, errNoSession); refused != r.expired {
			t.Errorf("session %q: refused=%v, want %v", name, refused, r.expired)
		}
	}
}
