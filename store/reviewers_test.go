package store

import (
	"context"
	"errors"
	"testing"
)

func openReviewerStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{MinFreeBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestReviewerAccounts(t *testing.T) {
	ctx := context.Background()
	s := openReviewerStore(t)
	r, err := s.AddReviewer(ctx, Reviewer{Username: "alice", PasswordHash: "h", TOTPSecret: "S", ClientAuthPublic: "K", CreatedDay: "2026-03-10"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddReviewer(ctx, Reviewer{Username: "alice", PasswordHash: "h", TOTPSecret: "S", CreatedDay: "2026-03-10"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate user name: %v", err)
	}
	// TOTP steps only move forward.
	for _, tc := range []struct {
		step int64
		want bool
	}{{100, true}, {100, false}, {99, false}, {101, true}} {
		if ok, err := s.AcceptTOTPStep(ctx, r.ID, tc.step); err != nil || ok != tc.want {
			t.Fatalf("AcceptTOTPStep(%d) = %v, %v; want %v", tc.step, ok, err, tc.want)
		}
	}
	// Reset: new secrets, step forgotten, sessions ended.
	if err := s.CreateSession(ctx, ReviewerSession{IDHash: "x", ReviewerID: r.ID, Kind: "web", CreatedUnix: 1, LastSeenUnix: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetReviewerCredentials(ctx, r.ID, "h2", "S2"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Reviewer(ctx, r.ID)
	if got.PasswordHash != "h2" || got.TOTPSecret != "S2" || got.TOTPLastStep != 0 {
		t.Fatalf("after reset: %+v", got)
	}
	if _, err := s.Session(ctx, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session survived a reset: %v", err)
	}
	// Removal takes sessions, attempts and the client-auth key with it.
	s.CreateSession(ctx, ReviewerSession{IDHash: "y", ReviewerID: r.ID, Kind: "api", CreatedUnix: 1, LastSeenUnix: 1})
	s.RecordLoginAttempt(ctx, r.ID, 1000)
	if n, _ := s.LoginAttemptsSince(ctx, r.ID, 990); n != 1 {
		t.Fatalf("%d attempts", n)
	}
	if err := s.DeleteReviewer(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "y"); !errors.Is(err, ErrNotFound) {
		t.Fatal("session survived removal")
	}
	if keys, _ := s.ClientAuthKeys(ctx); len(keys) != 0 {
		t.Fatalf("client-auth keys after removal: %v", keys)
	}
	if err := s.DeleteReviewer(ctx, r.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second removal: %v", err)
	}
}

func TestAuditAndBundles(t *testing.T) {
	ctx := context.Background()
	s := openReviewerStore(t)
	for _, a := range []string{"one", "two", "three"} {
		if err := s.AddAudit(ctx, AuditEntry{Day: "2026-03-10", Actor: "admin", Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	es, _ := s.AuditLog(ctx, 2)
	if len(es) != 2 || es[0].Action != "three" || es[1].Action != "two" {
		t.Fatalf("audit log %+v", es)
	}
	if all, _ := s.AuditLog(ctx, 0); len(all) != 3 {
		t.Fatalf("%d entries", len(all))
	}
	if ok, _ := s.BundleApplied(ctx, "abc"); ok {
		t.Fatal("unknown bundle applied")
	}
	s.MarkBundleApplied(ctx, "abc", "2026-03-10")
	if err := s.MarkBundleApplied(ctx, "abc", "2026-03-10"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.BundleApplied(ctx, "abc"); !ok {
		t.Fatal("bundle not recorded")
	}
	if err := s.AddReviewKey(ctx, ReviewKey{Fingerprint: "F", PublicKey: "candor-ed25519:x", AddedDay: "2026-03-10"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddReviewKey(ctx, ReviewKey{Fingerprint: "F", PublicKey: "candor-ed25519:x", AddedDay: "2026-03-10"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate review key: %v", err)
	}
	if err := s.DeleteReviewKey(ctx, "F"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteReviewKey(ctx, "F"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}
