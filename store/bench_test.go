package store

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// writeChunks writes size bytes in 32 KiB writes, as a streaming
// encrypter does.
func writeChunks(size int64) func(io.Writer) error {
	chunk := make([]byte, 32<<10)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	return func(w io.Writer) error {
		for n := size; n > 0; {
			c := chunk[:min(int64(len(chunk)), n)]
			if _, err := w.Write(c); err != nil {
				return err
			}
			n -= int64(len(c))
		}
		return nil
	}
}

var benchSizes = []int64{1 << 20, 64 << 20, 256 << 20}

// BenchmarkAddItem measures AddItem end to end: temp file, SHA-256,
// fsync, rename, directory fsync, row insert; then deletes the item so
// the disk does not fill. B/op should not grow with the item size.
func BenchmarkAddItem(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			src, err := s.CreateSource(ctx, "l", []byte("p"), "d")
			if err != nil {
				b.Fatal(err)
			}
			write := writeChunks(size)
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				it, err := s.AddItem(ctx, NewItem{SourceID: src.ID, Kind: KindFile, Fingerprints: []string{"F"}}, write)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.DeleteItem(ctx, it.ID); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// BenchmarkRawWrite is the baseline for BenchmarkAddItem: the same bytes
// written to a file with SHA-256 and one fsync, nothing else.
func BenchmarkRawWrite(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			dir := b.TempDir()
			write := writeChunks(size)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				p := filepath.Join(dir, "f")
				f, err := os.Create(p)
				if err != nil {
					b.Fatal(err)
				}
				h := sha256.New()
				if err := write(io.MultiWriter(f, h)); err != nil {
					b.Fatal(err)
				}
				h.Sum(nil)
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				f.Close()
				b.StopTimer()
				os.Remove(p)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkOpenItem measures reading an item back through OpenItem.
func BenchmarkOpenItem(b *testing.B) {
	const size = 64 << 20
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	src, _ := s.CreateSource(ctx, "l", []byte("p"), "d")
	it, err := s.AddItem(ctx, NewItem{SourceID: src.ID, Kind: KindFile, Fingerprints: []string{"F"}}, writeChunks(size))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 32<<10)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		rc, _, err := s.OpenItem(ctx, it.ID)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{rc}, buf); err != nil {
			b.Fatal(err)
		}
		rc.Close()
	}
}
