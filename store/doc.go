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
//   - A blob is written to a temporary name in the data directory (a pool
//     file, see below, or a new O_EXCL 0600 file), fsynced, renamed, the directory fsynced, and only then is the
//     row inserted. An interrupted write leaves no visible item. Open
//     removes the leftovers (temporary files, blobs no row refers to), but
//     only when no other process has the store open: each Store holds a
//     shared flock on blobs/.lock, and only an opener that can take it
//     exclusively knows no write is in flight.
//   - A reporter's submission is all or nothing across a crash too: its
//     items (NewItem.Pending) and, on a first submission, its source
//     (CreatePendingSource) are stored pending, durable but absent from
//     every listing, count, login lookup (SourceByLookupID) and retention
//     list, until CommitItems makes them all visible in one transaction,
//     just before the reporter is told the submission was saved. Open,
//     when it holds the store alone, deletes pending rows (and their
//     blobs): what a kill interrupted was never acknowledged.
//   - AddItem refuses (ErrDiskFull) when free space is under
//     Options.MinFreeBytes before and while writing (checked every 8 MiB),
//     so an upload cannot eat the space the database needs.
//   - Deleting an item removes its row and then its file (unlinked, not
//     overwritten: blobs are ciphertext).
//   - File system timestamps do not date a submission to more than the day,
//     within the limits below. A submission creates no inode: blobs/ holds
//     a pool of empty files (".pool-<random>", 0600), made 32 at a time at
//     Open, by each BlurTimestamps pass (topping up to a batch), and by
//     AddItem after a write that left fewer than 8, never during one.
//     AddItem renames a pool file to its temporary name, writes, sets the
//     file's access and modification times to midnight UTC of the day, and
//     renames it to its final name. So a blob's birth time (statx btime,
//     which user space cannot set) is the time its batch was made, before
//     the submission arrived. If the pool is empty and cannot be refilled
//     (concurrent burst, error), AddItem creates the file: correctness
//     comes before hiding the time. Open keeps pool files when it removes
//     leftovers. BlurTimestamps sets the access and modification times of
//     the data directory, candor.db and its -wal/-shm files, blobs/ and
//     every file in it to midnight UTC of today; this also sets every
//     inode's change time to the moment of the pass. candor serve runs it
//     at start and every 10 minutes. What remains: between a write and the
//     next pass, the change times of what a submission touched (its blob,
//     blobs/, candor.db-wal) and the modification times of the WAL, the
//     database and blobs/ are the exact time of the write; a pass also cannot hide that a file changed "before the
//     pass". A pool file's birth time is when its batch was made, which
//     for a refill after a write is moments after an earlier submission
//     (when more than about 24 submissions arrive between two passes). The
//     order of rows (SQLite rowids, seq) shows the order of submissions,
//     not their times. Files outside the store (secrets/, tor/) are not
//     touched, nor is the data directory's parent.
package store
