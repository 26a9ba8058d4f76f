package scrub

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestPDFInfoIndirectValues: the values of the information dictionary may
// be indirect objects ("/Author 8 0 R"). They must be blanked too and
// reported; one that cannot be reached (in a compressed object stream)
// makes Clean refuse rather than claim the file is clean.
func TestPDFInfoIndirectValues(t *testing.T) {
	in := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" +
		"6 0 obj\n<< /Author 8 0 R /Title [ 9 0 R ] >>\nendobj\n" +
		"8 0 obj\n(CANARY-INDIRECT-AUTHOR)\nendobj\n" +
		"9 0 obj\n<43414E415259>\nendobj\n" +
		"trailer\n<< /Root 1 0 R /Info 6 0 R >>\n%%EOF\n")
	out, res, err := Clean(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("length changed: %d → %d", len(in), len(out))
	}
	for _, c := range []string{"CANARY-INDIRECT-AUTHOR", "43414E415259"} {
		if bytes.Contains(out, []byte(c)) {
			t.Errorf("cleaned PDF still holds %q", c)
		}
	}
	if got := strings.Join(res.Removed, "\n"); !strings.Contains(got, "Author") || !strings.Contains(got, "Title") {
		t.Errorf("removed list %q lacks Author or Title", got)
	}

	unreachable := []byte("%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" +
		"6 0 obj\n<< /Author 8 0 R >>\nendobj\n" +
		"trailer\n<< /Root 1 0 R /Info 6 0 R >>\n%%EOF\n")
	if _, _, err := Clean(unreachable); !errors.Is(err, ErrCannotClean) {
		t.Fatalf("info value in an object stream: got %v, want ErrCannotClean", err)
	}
}
