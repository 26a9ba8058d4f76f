package scrub

import (
	"bytes"
	"errors"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"strings"
	"testing"

	"github.com/candor-drop/candor/cmd/candor-review/internal/scrub/scrubtest"
)

func noCanary(t *testing.T, data []byte) {
	t.Helper()
	for _, c := range scrubtest.Canaries {
		if bytes.Contains(data, []byte(c)) {
			t.Errorf("cleaned file still holds %q", c)
		}
	}
}

func TestJPEG(t *testing.T) {
	in := scrubtest.JPEGWithGPS()
	if !bytes.Contains(in, []byte("CANARY-GPS")) {
		t.Fatal("fixture has no canary")
	}
	in = append(in, []byte("trailing CANARY-TEXT")...)
	out, res, err := Clean(in)
	if err != nil {
		t.Fatal(err)
	}
	noCanary(t, out)
	if res.Format != "JPEG" || len(res.Removed) != 3 {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(strings.Join(res.Removed, "\n"), "APP1 (EXIF") {
		t.Errorf("removed list does not name the EXIF segment: %q", res.Removed)
	}
	a, _, err := image.Decode(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := image.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("cleaned JPEG does not decode: %v", err)
	}
	if a.Bounds() != b.Bounds() || a.At(5, 7) != b.At(5, 7) {
		t.Error("cleaned JPEG shows a different image")
	}
}

func TestPNG(t *testing.T) {
	in := scrubtest.PNGWithText()
	out, res, err := Clean(in)
	if err != nil {
		t.Fatal(err)
	}
	noCanary(t, out)
	if len(res.Removed) != 3 {
		t.Errorf("removed %q", res.Removed)
	}
	if _, _, err := image.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("cleaned PNG does not decode: %v", err)
	}
}

func TestPDF(t *testing.T) {
	in := scrubtest.PDFWithAuthor()
	out, res, err := Clean(in)
	if err != nil {
		t.Fatal(err)
	}
	noCanary(t, out)
	if len(out) != len(in) {
		t.Fatalf("length changed: %d → %d (offsets would break)", len(in), len(out))
	}
	// Everything outside the blanked ranges is byte-identical: the page
	// text, the objects, the xref table.
	for _, keep := range []string{"(Visible page text) Tj", "xref", "/Author (", "startxref", "/Type /Metadata"} {
		if !bytes.Contains(out, []byte(keep)) {
			t.Errorf("cleaned PDF lost %q", keep)
		}
	}
	got := strings.Join(res.Removed, "\n")
	for _, want := range []string{"Author", "Creator", "Producer", "CreationDate", "XMP metadata stream"} {
		if !strings.Contains(got, want) {
			t.Errorf("removed list %q lacks %s", got, want)
		}
	}
}

func TestPDFInfoInObjectStream(t *testing.T) {
	// /Info points at an object that is not at top level (it would be in a
	// compressed object stream): refuse rather than claim it is clean.
	in := []byte("%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R /Info 9 0 R >>\n%%EOF\n")
	if _, _, err := Clean(in); !errors.Is(err, ErrCannotClean) {
		t.Fatalf("got %v, want ErrCannotClean", err)
	}
}

func TestUnsupportedAndMalformed(t *testing.T) {
	if _, _, err := Clean([]byte("just text")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("text: %v", err)
	}
	if _, _, err := Clean([]byte{0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff}); !errors.Is(err, ErrMalformed) {
		t.Errorf("short JPEG: %v", err)
	}
	png := scrubtest.PNGWithText()
	if _, _, err := Clean(png[:len(png)-20]); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated PNG: %v", err)
	}
}

// FuzzClean: hostile files never crash the cleaner, and what it returns
// as a clean image has nothing left to remove.
func FuzzClean(f *testing.F) {
	f.Add(scrubtest.JPEGWithGPS())
	f.Add(scrubtest.PNGWithText())
	f.Add(scrubtest.PDFWithAuthor())
	f.Add([]byte("%PDF-1.7\n1 0 obj << /Info << /Author (x) >> >> stream\nabc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, res, err := Clean(data)
		if err != nil {
			return
		}
		if res == nil {
			t.Fatal("nil result without error")
		}
		if res.Format == "PDF" && len(out) != len(data) {
			t.Fatalf("PDF length changed")
		}
		if res.Format == "JPEG" || res.Format == "PNG" {
			// Cleaning is complete: a cleaned image has nothing left to remove.
			out2, res2, err := Clean(out)
			if err != nil {
				t.Fatalf("cleaned %s no longer parses: %v", res.Format, err)
			}
			if len(res2.Removed) != 0 || !bytes.Equal(out, out2) {
				t.Fatalf("second clean removed %q", res2.Removed)
			}
		}
	})
}
