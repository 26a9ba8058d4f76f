package main

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/candor-drop/candor"

// deps lists the packages pkg depends on (transitively, without tests).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

// TestArchitecture checks the import rules of DESIGN.md and STYLE.md. Each
// rule carries the reason it exists.
func TestArchitecture(t *testing.T) {
	rules := []struct {
		pkg       string
		forbidden []string
		why       string
	}{
		{mod + "/store", []string{mod + "/crypto"}, "store only ever sees ciphertext and derived ids; it must not be able to decrypt"},
		{mod + "/store", []string{"net/http", "html/template"}, "store is storage only"},
		{mod + "/crypto", []string{"net/http", "database/sql", "html/template", "text/template", "os/exec"}, "crypto is pure: no HTTP, SQL, templates or processes"},
		{mod + "/crypto/bundle", []string{"net/http", "database/sql", mod + "/store"}, "bundles are read on the air-gapped machine"},
		{mod + "/source", []string{mod + "/journalist", mod + "/tor", "github.com/cretz/bine"}, "the source interface must not reach reviewer code or Tor control"},
		{mod + "/journalist", []string{mod + "/source", mod + "/tor", "github.com/cretz/bine"}, "the journalist interface must not reach source code or Tor control"},
		{mod + "/tor", []string{mod + "/source", mod + "/journalist", mod + "/store", mod + "/crypto"}, "tor wraps bine and nothing else"},
	}
	for _, r := range rules {
		list := deps(t, r.pkg)
		for _, d := range list {
			for _, f := range r.forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s depends on %s: forbidden because %s", r.pkg, d, r.why)
				}
			}
		}
	}
}
