package scrub

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
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

// TestPDFInfoUpdatedIntoObjectStream: an incremental update redefines the
// information dictionary (object 6) inside a compressed object stream; the
// older, top-level object 6 is blanked but the current one cannot be, so
// Clean must refuse rather than report the file clean.
func TestPDFInfoUpdatedIntoObjectStream(t *testing.T) {
	var objstm bytes.Buffer
	zw := zlib.NewWriter(&objstm)
	body := "<< /Author (CANARY-COMPRESSED) >>"
	header := "6 0 "
	fmt.Fprintf(zw, "%s%s", header, body)
	zw.Close()
	in := []byte("%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" +
		"6 0 obj\n<< /Author (CANARY-OLD) >>\nendobj\n" +
		"trailer\n<< /Root 1 0 R /Info 6 0 R >>\n" +
		fmt.Sprintf("10 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n", len(header), objstm.Len()) +
		objstm.String() + "\nendstream\nendobj\n" +
		"11 0 obj\n<< /Type /XRef /Root 1 0 R /Info 6 0 R /Length 0 >>\nstream\n\nendstream\nendobj\n%%EOF\n")
	if _, _, err := Clean(in); !errors.Is(err, ErrCannotClean) {
		t.Fatalf("got %v, want ErrCannotClean", err)
	}

	// An object stream that holds other objects does not stop cleaning.
	objstm.Reset()
	zw = zlib.NewWriter(&objstm)
	fmt.Fprintf(zw, "%s%s", "7 0 ", "<< /Type /Font >>")
	zw.Close()
	ok := []byte("%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" +
		"6 0 obj\n<< /Author (CANARY-OLD) >>\nendobj\n" +
		fmt.Sprintf("10 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n", objstm.Len()) +
		objstm.String() + "\nendstream\nendobj\n" +
		"trailer\n<< /Root 1 0 R /Info 6 0 R >>\n%%EOF\n")
	out, _, err := Clean(ok)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("CANARY-OLD")) {
		t.Error("author kept")
	}
}
