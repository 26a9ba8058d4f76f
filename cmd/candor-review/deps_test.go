package main

import (
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// forbidden lists packages candor-review must never link, with the reason.
// candor-review runs on the air-gapped workstation that holds the
// submission private key: if it cannot speak to a network, a compromised
// dependency or a hostile report cannot make it leak plaintext or keys.
var forbidden = map[string]string{
	"net/http":                                 "an HTTP client or server could send plaintext or keys off the air-gapped machine",
	"crypto/tls":                               "TLS is only useful for talking to a network",
	"github.com/cretz/bine":                    "Tor control: the reviewer app must never reach Tor",
	"github.com/candor-drop/candor/tor":        "Candor's Tor wiring belongs to the server",
	"github.com/candor-drop/candor/source":     "the reporter web interface belongs to the server",
	"github.com/candor-drop/candor/journalist": "the reviewer web interface belongs to the server",
}

// forbiddenPrefixes are forbidden with everything below them.
var forbiddenPrefixes = []string{"github.com/cretz/bine/", "net/http/", "github.com/candor-drop/candor/tor/", "github.com/candor-drop/candor/source/", "github.com/candor-drop/candor/journalist/"}

func goListDeps(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "github.com/candor-drop/candor/cmd/candor-review")
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	sort.Strings(deps) // go list's order follows import order, which is noise in review
	return deps
}

func TestNoNetworkDeps(t *testing.T) {
	for _, p := range goListDeps(t) {
		if why, ok := forbidden[p]; ok {
			t.Errorf("candor-review links %s: %s", p, why)
		}
		for _, pre := range forbiddenPrefixes {
			if strings.HasPrefix(p, pre) {
				t.Errorf("candor-review links %s (under %s)", p, pre)
			}
		}
	}
}

// TestDepsList keeps the full list of candor-review's dependencies in
// testdata/deps.txt, so any change to what the air-gapped app links shows
// up in review.
func TestDepsList(t *testing.T) {
	got := strings.Join(goListDeps(t), "\n") + "\n"
	if os.Getenv("UPDATE_DEPS") != "" {
		if err := os.WriteFile("testdata/deps.txt", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/deps.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gotSet, wantSet := lines(got), lines(string(want))
		for p := range gotSet {
			if !wantSet[p] {
				t.Errorf("new dependency: %s", p)
			}
		}
		for p := range wantSet {
			if !gotSet[p] {
				t.Errorf("dependency gone: %s", p)
			}
		}
		t.Errorf("candor-review's dependencies changed; review the change, then regenerate with:\n" +
			"  UPDATE_DEPS=1 go test -run TestDepsList ./cmd/candor-review/")
	}
}

func lines(s string) map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Fields(s) {
		m[l] = true
	}
	return m
}
