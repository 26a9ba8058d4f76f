package bundle_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
)

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// A head entry that claims more than its limit is refused from its tar
// header alone: the reader does not read (or buffer) the body it claims.
func TestHeadSizeLimitBeforeRead(t *testing.T) {
	sk, err := crypto.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	const body = 32 << 20 // more than MaxManifestBytes, served lazily
	for _, name := range []string{"manifest.json", "manifest.sig"} {
		var head bytes.Buffer
		tw := tar.NewWriter(&head)
		if name == "manifest.sig" {
			tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o600, Size: 2, Typeflag: tar.TypeReg})
			tw.Write([]byte("{}"))
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: 1 << 40, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Flush() // reports the missing body; the header is written
		read := func() (int64, error) {
			src := &countReader{r: io.MultiReader(bytes.NewReader(head.Bytes()), io.LimitReader(zeros{}, body))}
			_, err := bundle.ReadExport(src, sk.Public())
			return src.n, err
		}
		n, err := read()
		if !errors.Is(err, bundle.ErrFormat) {
			t.Fatalf("%s of 1 TiB: err = %v, want ErrFormat", name, err)
		}
		if n > 1<<20 {
			t.Fatalf("%s of 1 TiB: %d bytes read before refusing", name, n)
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
