package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafeFileName(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ in, want string }{
		{"photo.jpg", "photo.jpg"},
		{"../../../etc/passwd", "passwd"},
		{`..\..\windows\system32\evil.dll`, "evil.dll"},
		{"/absolute/path.pdf", "path.pdf"},
		{"..", "attachment-01234567"},
		{".", "attachment-01234567"},
		{"", "attachment-01234567"},
		{".bashrc", "bashrc"},
		{"-rf", "rf"},
		{"name\x00with\x1bcontrols.txt", "namewithcontrols.txt"},
		{"invoice\u202egnp.exe", "invoicegnp.exe"},
		{"a:b*c?.txt", "a_b_c_.txt"},
		{"CON.txt", "_CON.txt"},
		{"trailing dots...", "trailing dots"},
		{"many    spaces\tand\ttabs.doc", "many spaces and tabs.doc"},
		{"bad\xffutf8.png", "bad_utf8.png"},
	} {
		if got := SafeFileName(tc.in, id); got != tc.want {
			t.Errorf("SafeFileName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := strings.Repeat("é", 300) + ".pdf"
	got := SafeFileName(long, id)
	if len(got) > MaxFileNameBytes || !strings.HasSuffix(got, ".pdf") || !utf8.ValidString(got) {
		t.Errorf("long name: %q (%d bytes)", got, len(got))
	}
}

// FuzzSafeFileName: the result is always a single, non-special path
// element, so joining it to a directory never leaves that directory, and a
// file of that name can be created there.
func FuzzSafeFileName(f *testing.F) {
	for _, s := range []string{"../x", "a/b\\c", "..", "\u202e", "CON", " . ", strings.Repeat("a", 400)} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, name string) {
		got := SafeFileName(name, "0123456789abcdef0123456789abcdef")
		if got == "" || got == "." || got == ".." || strings.ContainsAny(got, "/\\\x00") {
			t.Fatalf("SafeFileName(%q) = %q", name, got)
		}
		if len(got) > MaxFileNameBytes+20 || !utf8.ValidString(got) {
			t.Fatalf("SafeFileName(%q) = %q: too long or not UTF-8", name, got)
		}
		if strings.HasPrefix(got, ".") || strings.HasPrefix(got, "-") {
			t.Fatalf("SafeFileName(%q) = %q: hidden or option-like", name, got)
		}
		p := filepath.Join(dir, got)
		if filepath.Dir(p) != dir {
			t.Fatalf("SafeFileName(%q) = %q escapes the directory", name, got)
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			if os.IsExist(err) {
				return
			}
			t.Fatalf("cannot create %q: %v", got, err)
		}
		f.Close()
		os.Remove(p)
	})
}
