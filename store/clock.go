package store

import "time"

// SetClock replaces the clock the store dates items, activity and
// statuses with (UTC day precision). For tests and tools that need a
// fixed or moving clock; call it before the store is used concurrently.
func (s *Store) SetClock(now func() time.Time) { s.now = now }
