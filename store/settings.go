package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// settingsKey is the settings row holding Settings as JSON.
const settingsKey = "instance_settings"

// ErrLastKey: retiring the submission key would leave no active key, and
// no submission could be encrypted.
var ErrLastKey = errors.New("store: cannot retire the last active submission key")

// Setting returns the value stored under key, or ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: unable to read setting %q: %w", key, err)
	}
	return v, nil
}

// SetSetting stores v under key, replacing any previous value.
func (s *Store) SetSetting(ctx context.Context, key string, v []byte) error {
	if v == nil {
		v = []byte{}
	}
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		key, v)
	if err != nil {
		return fmt.Errorf("store: unable to save setting %q: %w", key, err)
	}
	return nil
}

// Settings returns the instance settings; fields never saved take their
// DefaultSettings value.
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	st := DefaultSettings
	v, err := s.Setting(ctx, settingsKey)
	if errors.Is(err, ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return Settings{}, err
	}
	if err := json.Unmarshal(v, &st); err != nil {
		return Settings{}, fmt.Errorf("store: unable to decode instance settings: %w", err)
	}
	return st, nil
}

// SaveSettings stores st after checking that its values make sense.
func (s *Store) SaveSettings(ctx context.Context, st Settings) error {
	switch {
	case st.MaxUploadBytes <= 0:
		return errors.New("store: maximum upload size must be positive")
	case st.MinFirstMessageChars < 0:
		return errors.New("store: minimum first message length must not be negative")
	case st.RetentionDays < 0:
		return errors.New("store: retention days must not be negative")
	}
	v, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: unable to encode instance settings: %w", err)
	}
	return s.SetSetting(ctx, settingsKey, v)
}

// AddSubmissionKey records an active submission key. A fingerprint
// already known (active or retired) gives ErrExists.
func (s *Store) AddSubmissionKey(ctx context.Context, fpr string, pub []byte) error {
	if fpr == "" || len(pub) == 0 {
		return errors.New("store: submission key needs a fingerprint and a public key")
	}
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO submission_keys (fingerprint, public_key, active, added_day) VALUES (?, ?, 1, ?)",
		fpr, pub, s.Today())
	if isUnique(err) {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("store: unable to add submission key: %w", err)
	}
	return nil
}

// SubmissionKeys lists the submission keys in the order they were added;
// only the active ones if activeOnly.
func (s *Store) SubmissionKeys(ctx context.Context, activeOnly bool) ([]SubmissionKey, error) {
	q := "SELECT fingerprint, public_key, active, added_day FROM submission_keys"
	if activeOnly {
		q += " WHERE active = 1"
	}
	q += " ORDER BY rowid"
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list submission keys: %w", err)
	}
	defer rows.Close()
	var keys []SubmissionKey
	for rows.Next() {
		var k SubmissionKey
		if err := rows.Scan(&k.Fingerprint, &k.PublicKey, &k.Active, &k.AddedDay); err != nil {
			return nil, fmt.Errorf("store: unable to list submission keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unable to list submission keys: %w", err)
	}
	return keys, nil
}

// RetireSubmissionKey stops new items from being encrypted to fpr. It
// refuses (ErrLastKey) to retire the last active key; ErrNotFound if fpr
// is unknown. Retiring a retired key is a no-op.
func (s *Store) RetireSubmissionKey(ctx context.Context, fpr string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: unable to retire submission key: %w", err)
	}
	defer tx.Rollback()
	var active bool
	err = tx.QueryRowContext(ctx, "SELECT active FROM submission_keys WHERE fingerprint = ?", fpr).Scan(&active)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: unable to retire submission key: %w", err)
	}
	if !active {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM submission_keys WHERE active = 1").Scan(&n); err != nil {
		return fmt.Errorf("store: unable to retire submission key: %w", err)
	}
	if n <= 1 {
		return ErrLastKey
	}
	if _, err := tx.ExecContext(ctx, "UPDATE submission_keys SET active = 0 WHERE fingerprint = ?", fpr); err != nil {
		return fmt.Errorf("store: unable to retire submission key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: unable to retire submission key: %w", err)
	}
	return nil
}
