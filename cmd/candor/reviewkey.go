package main

// `candor review-key add|list|remove`.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

func init() {
	register("review-key", "pin, list or remove the candor-review keys whose reply bundles are accepted", runReviewKey)
}

const reviewKeyUsage = `Usage:
  candor review-key add    --data DIR FILE
  candor review-key list   --data DIR [--json]
  candor review-key remove --data DIR FINGERPRINT|KEY

Reply bundles are applied only when signed by a pinned review key. FILE
holds the "candor-ed25519:…" line that "candor-review signing-key" prints on
the air-gapped workstation ("-" reads standard input).
`

func runReviewKey(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		io.WriteString(stdout, reviewKeyUsage)
		if len(args) == 0 {
			return withHint(errors.New("review-key: no subcommand given"), "candor review-key add --data DIR FILE")
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("review-key "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), reviewKeyUsage+"\nFlags:\n"); fs.PrintDefaults() }
	data := fs.String("data", "", "instance data directory (required)")
	asJSON := fs.Bool("json", false, "list: print JSON")
	switch sub {
	case "add", "list", "remove":
	default:
		return withHint(fmt.Errorf("review-key: unknown subcommand %q", sub), "run \"candor review-key -h\"")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return withHint(fmt.Errorf("review-key %s: %w", sub, err), "run \"candor review-key -h\" for the flags")
	}
	want := 1
	if sub == "list" {
		want = 0
	}
	if fs.NArg() != want {
		return withHint(fmt.Errorf("review-key %s: expected %d argument(s), got %d", sub, want, fs.NArg()), "run \"candor review-key -h\"")
	}

	// Read and check the key before opening anything.
	var key crypto.VerifyKey
	if sub == "add" {
		var b []byte
		var err error
		if fs.Arg(0) == "-" {
			b, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
		} else {
			b, err = readSmallFile(fs.Arg(0), 4096)
		}
		if err != nil {
			return fmt.Errorf("review-key add: %w", err)
		}
		key, err = crypto.ParseVerifyKey(strings.TrimSpace(string(b)))
		if err != nil {
			return withHint(fmt.Errorf("review-key add: %s does not hold a review key: %w", fs.Arg(0), err),
				"the file must hold the candor-ed25519:… line printed by \"candor-review signing-key\"")
		}
	}
	inst, err := openInstance(*data)
	if err != nil {
		return prefixErr("review-key "+sub, err)
	}
	defer inst.Close()
	ctx := context.Background()
	st := inst.store
	day := time.Now().UTC().Format("2006-01-02")

	switch sub {
	case "add":
		err := st.AddReviewKey(ctx, store.ReviewKey{Fingerprint: key.Fingerprint(), PublicKey: key.String(), AddedDay: day})
		if errors.Is(err, store.ErrExists) {
			fmt.Fprintf(stdout, "Review key %s is already pinned.\n", key.Fingerprint())
			return nil
		}
		if err != nil {
			return fmt.Errorf("review-key add: %w", err)
		}
		st.AddAudit(ctx, store.AuditEntry{Day: day, Actor: "cli", Action: "review key pinned", Detail: "fingerprint=" + key.Fingerprint()})
		fmt.Fprintf(stdout, "Review key %s pinned: reply bundles it signs are accepted.\n", key.Fingerprint())
		return nil
	case "remove":
		arg := strings.TrimSpace(fs.Arg(0))
		keys, err := st.ReviewKeys(ctx)
		if err != nil {
			return fmt.Errorf("review-key remove: %w", err)
		}
		for _, k := range keys {
			if k.Fingerprint == arg || k.PublicKey == arg {
				if err := st.DeleteReviewKey(ctx, k.Fingerprint); err != nil {
					return fmt.Errorf("review-key remove: %w", err)
				}
				st.AddAudit(ctx, store.AuditEntry{Day: day, Actor: "cli", Action: "review key removed", Detail: "fingerprint=" + k.Fingerprint})
				fmt.Fprintf(stdout, "Review key %s removed: reply bundles it signs are refused from now on.\n", k.Fingerprint)
				return nil
			}
		}
		return withHint(fmt.Errorf("review-key remove: no pinned review key %q", arg), "list them with \"candor review-key list --data DIR\"")
	default:
		keys, err := st.ReviewKeys(ctx)
		if err != nil {
			return fmt.Errorf("review-key list: %w", err)
		}
		if *asJSON {
			type row struct {
				Fingerprint string `json:"fingerprint"`
				Key         string `json:"key"`
				AddedDay    string `json:"added_day"`
			}
			out := []row{}
			for _, k := range keys {
				out = append(out, row{k.Fingerprint, k.PublicKey, k.AddedDay})
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		}
		if len(keys) == 0 {
			fmt.Fprintln(stdout, "No review key pinned: every reply bundle is refused. Pin one with \"candor review-key add --data DIR FILE\".")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FINGERPRINT\tKEY\tADDED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Fingerprint, k.PublicKey, k.AddedDay)
		}
		return tw.Flush()
	}
}

// readSmallFile reads at most max bytes of a file, refusing larger ones.
func readSmallFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return b, nil
}
