//go:build unix

package store

import (
	"fmt"
	"syscall"
)

// freeSpace returns the bytes available to an unprivileged user on the
// file system holding dir.
func freeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("store: unable to read free disk space: %w", err)
	}
	free := uint64(st.Bavail) * uint64(st.Bsize)
	if free > 1<<62 {
		free = 1 << 62
	}
	return int64(free), nil
}
