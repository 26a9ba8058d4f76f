package workspace

import (
	"errors"
	"strings"
	"testing"
)

// TestFindSourceAmbiguousDesignation: designations are not unique (two
// random words; and a compromised server can give a source of its own the
// designation of a real one). A reply or status change addressed by a
// designation that names two sources must be refused, not sent to
// whichever comes first, and the id must still select one.
func TestFindSourceAmbiguousDesignation(t *testing.T) {
	fx := newFixture(t)
	ix, err := fx.home.LoadIndex()
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Repeat("a1", 16), strings.Repeat("b2", 16)
	for _, id := range []string{a, b} {
		ix.Sources[id] = &Source{ID: id, Designation: "Quiet Heron", PublicKey: fx.source.Public().Armored()}
	}
	if err := fx.home.saveIndex(ix); err != nil {
		t.Fatal(err)
	}
	for range 20 { // map order varies: a lucky order must not hide it
		if _, err := fx.home.QueueReply("quiet  heron", []byte("hello")); !errors.Is(err, ErrAmbiguous) {
			t.Fatalf("reply by a shared designation: got %v, want ErrAmbiguous", err)
		}
	}
	if _, err := fx.home.QueueStatus("Quiet Heron", "in review", nil); !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("status by a shared designation: got %v, want ErrAmbiguous", err)
	}
	q, err := fx.home.QueueReply(b, []byte("hello"))
	if err != nil || q.SourceID != b {
		t.Fatalf("reply by id: %+v, %v", q, err)
	}
}
