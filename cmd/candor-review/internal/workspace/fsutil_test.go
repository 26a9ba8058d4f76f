package workspace

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A USB stick's FAT file system has no hard links (link(2) fails with
// EPERM): writing an export or a reply bundle there must still work, and
// still never overwrite.
func TestWriteNewFileWithoutHardLinks(t *testing.T) {
	defer func(old func(string, string) error) { linkFile = old }(linkFile)
	linkFile = func(_, _ string) error { return &os.LinkError{Op: "link", Err: syscall.EPERM} }
	dir := t.TempDir()
	name := filepath.Join(dir, "out.bundle")
	write := func(s string) error {
		return writeNewFile(name, func(w io.Writer) error { _, err := io.WriteString(w, s); return err })
	}
	if err := write("first"); err != nil {
		t.Fatal(err)
	}
	if err := write("second"); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second write: %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(name); string(b) != "first" {
		t.Fatalf("file holds %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	// A failing fill leaves nothing.
	other := filepath.Join(dir, "other")
	err := writeNewFile(other, func(w io.Writer) error { w.Write([]byte("partial")); return errors.New("boom") })
	if err == nil {
		t.Fatal("no error")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("partial file left: %v", ents)
	}
}
