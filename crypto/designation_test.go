package crypto

import (
	"strings"
	"testing"
)

func TestDesignationLists(t *testing.T) {
	for name, list := range map[string][]string{"adjectives": designationAdjectives, "nouns": designationNouns} {
		if len(list) < 200 {
			t.Errorf("%s: %d words, want ≥ 200", name, len(list))
		}
		seen := map[string]bool{}
		for _, w := range list {
			if seen[w] {
				t.Errorf("%s: %q twice", name, w)
			}
			seen[w] = true
			if strings.ToLower(w) != w || strings.ContainsAny(w, " -'") {
				t.Errorf("%s: %q is not a plain lower-case word", name, w)
			}
		}
	}
}

func TestNewDesignation(t *testing.T) {
	adj := map[string]bool{}
	for _, w := range designationAdjectives {
		adj[w] = true
	}
	noun := map[string]bool{}
	for _, w := range designationNouns {
		noun[w] = true
	}
	seen := map[string]bool{}
	for range 100 {
		d, err := NewDesignation()
		if err != nil {
			t.Fatal(err)
		}
		a, n, ok := strings.Cut(d, " ")
		if !ok || !adj[a] || !noun[n] {
			t.Fatalf("%q is not adjective noun", d)
		}
		seen[d] = true
	}
	// 100 draws from ~70,000 combinations: a handful of collisions at most.
	if len(seen) < 90 {
		t.Fatalf("only %d distinct designations in 100 draws", len(seen))
	}
}
