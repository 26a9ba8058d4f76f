package crypto

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: package crypto may use the standard library, go-crypto
// (and what it needs: circl, x/sys/cpu), x/crypto and go-diceware, nothing
// else. A new module here is a new party in the trusted code base.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/candor-drop/candor/crypto",
		"github.com/ProtonMail/go-crypto/",
		"github.com/cloudflare/circl/", // go-crypto's curves and post-quantum schemes
		"golang.org/x/crypto/",
		"golang.org/x/sys/cpu", // x/crypto and circl feature detection
		"github.com/sethvargo/go-diceware/",
	}
	for _, pkg := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(pkg, "/")
		if !strings.Contains(first, ".") {
			continue // standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || pkg == a || strings.HasPrefix(pkg, a)
		}
		if !ok {
			t.Errorf("crypto depends on %s", pkg)
		}
	}
}
