package store

import (
	"context"
	"fmt"
)

// ReviewKey is a pinned signing key of a candor-review installation: reply
// bundles are accepted only when signed by one of these. PublicKey is the
// "candor-ed25519:<base64>" text form.
type ReviewKey struct {
	Fingerprint string
	PublicKey   string
	AddedDay    string
}

// AddReviewKey pins a review key. A fingerprint already pinned gives ErrExists.
func (s *Store) AddReviewKey(ctx context.Context, k ReviewKey) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO review_keys (fingerprint, public_key, added_day) VALUES (?, ?, ?)`, k.Fingerprint, k.PublicKey, k.AddedDay)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("store: unable to add review key: %w", ErrExists)
		}
		return fmt.Errorf("store: unable to add review key: %w", err)
	}
	return nil
}

// ReviewKeys lists the pinned review keys in the order they were added.
func (s *Store) ReviewKeys(ctx context.Context) ([]ReviewKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT fingerprint, public_key, added_day FROM review_keys ORDER BY added_day, fingerprint`)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list review keys: %w", err)
	}
	defer rows.Close()
	var out []ReviewKey
	for rows.Next() {
		var k ReviewKey
		if err := rows.Scan(&k.Fingerprint, &k.PublicKey, &k.AddedDay); err != nil {
			return nil, fmt.Errorf("store: unable to list review keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unable to list review keys: %w", err)
	}
	return out, nil
}

// DeleteReviewKey unpins a review key, or returns ErrNotFound.
func (s *Store) DeleteReviewKey(ctx context.Context, fingerprint string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM review_keys WHERE fingerprint = ?`, fingerprint)
	if err != nil {
		return fmt.Errorf("store: unable to delete review key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
