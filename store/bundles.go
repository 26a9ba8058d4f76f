package store

import (
	"context"
	"fmt"
)

// BundleApplied reports whether a reply bundle with this SHA-256 (hex) has
// been applied before.
func (s *Store) BundleApplied(ctx context.Context, sha256 string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM applied_bundles WHERE sha256 = ?`, sha256).Scan(&n); err != nil {
		return false, fmt.Errorf("store: unable to read applied bundles: %w", err)
	}
	return n > 0, nil
}

// MarkBundleApplied records a reply bundle's SHA-256 as applied on a day.
// Recording it twice is not an error.
func (s *Store) MarkBundleApplied(ctx context.Context, sha256, day string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO applied_bundles (sha256, day) VALUES (?, ?)`, sha256, day); err != nil {
		return fmt.Errorf("store: unable to record applied bundle: %w", err)
	}
	return nil
}
