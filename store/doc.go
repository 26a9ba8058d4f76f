// Package store keeps Candor's server-side state: one SQLite database
// (metadata, ciphertext-derived values) and one blob file per item.
//
// Security properties:
//
//   - It never imports Candor's crypto package and never sees plaintext:
//     callers hand it ciphertext streams and derived identifiers only.
//   - There is no column for a client address, user agent, codename,
//     original file name or exact time of a source's activity; source-side
//     dates are kept at day precision (UTC, YYYY-MM-DD, see Store.Today).
//   - Every connection runs with foreign_keys=ON and secure_delete=ON, in
//     WAL mode, set by a connect hook so connections the pool opens later
//     have them too; deleted rows are overwritten in the database file.
//     After a deletion the WAL is checkpointed and truncated, so the old
//     pages do not linger in it (best effort: a concurrent reader can
//     postpone this to the next deletion or Close).
//   - The database, its WAL and every blob are mode 0600, the directories
//     0700.
//   - A blob is written to a temporary name in the data directory (O_EXCL,
//     0600), fsynced, renamed, the directory fsynced, and only then is the
//     row inserted. An interrupted write leaves no visible item. Open
//     removes the leftovers (temporary files, blobs no row refers to), but
//     only when no other process has the store open: each Store holds a
//     shared flock on blobs/.lock, and only an opener that can take it
//     exclusively knows no write is in flight.
//   - AddItem refuses (ErrDiskFull) when free space is under
//     Options.MinFreeBytes before and while writing (checked every 8 MiB),
//     so an upload cannot eat the space the database needs.
//   - Deleting an item removes its row and then its file (unlinked, not
//     overwritten: blobs are ciphertext).
package store
