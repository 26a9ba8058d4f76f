package crypto

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// allocated returns the bytes allocated on the Go heap while f ran.
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// Encryption and decryption stream: for a 64 MiB message they allocate a
// small, fixed amount, never anything near the message size. (Allocation,
// not live heap, so the check does not depend on when the GC runs.)
func TestStreamingMemory(t *testing.T) {
	const n = 64 << 20
	limits := map[Profile]uint64{ProfileGnuPG: 2 << 20, ProfileRFC9580: 8 << 20}
	for _, pr := range profiles {
		k := testKey(t, pr.p, "alice")
		path := filepath.Join(t.TempDir(), "msg")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		enc := allocated(func() {
			w, err := Encrypt(f, k.Public())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.CopyBuffer(w, io.LimitReader(zeroReader{}, n), make([]byte, 32<<10)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
		f.Close()
		if enc > limits[pr.p] {
			t.Errorf("%s: encrypting 64 MiB allocated %d KiB", pr.name, enc>>10)
		}
		f, err = os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var sum countWriter
		dec := allocated(func() {
			if err := DecryptTo(&sum, f, k); err != nil {
				t.Fatal(err)
			}
		})
		f.Close()
		if sum.n != n {
			t.Fatalf("%s: %d bytes decrypted", pr.name, sum.n)
		}
		if dec > 8<<20 {
			t.Errorf("%s: decrypting 64 MiB allocated %d KiB", pr.name, dec>>10)
		}
		t.Logf("%s: 64 MiB encrypt allocated %d KiB, decrypt %d KiB", pr.name, enc>>10, dec>>10)
	}
}
