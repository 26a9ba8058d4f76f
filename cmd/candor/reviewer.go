package main

// `candor reviewer add|list|remove|reset`.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/candor-drop/candor/journalist"
	"github.com/candor-drop/candor/store"
)

func init() {
	register("reviewer", "manage reviewer accounts of the journalist interface (add, list, remove, reset)", runReviewer)
}

const reviewerUsage = `Usage:
  candor reviewer add    --data DIR --name NAME [--admin] [--json]
  candor reviewer list   --data DIR [--json]
  candor reviewer remove --data DIR --name NAME
  candor reviewer reset  --data DIR --name NAME [--json]

add makes an account and prints, once, its generated passphrase (diceware,
EFF wordlist), its TOTP secret with an otpauth:// URI for an authenticator
app, and the reviewer's Tor client-authorization key for the journalist
onion service. reset gives a new passphrase and TOTP secret and ends the
reviewer's sessions. remove deletes the account, its sessions and its
client-authorization key (tor stops accepting it).
`

func runReviewer(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		io.WriteString(stdout, reviewerUsage)
		if len(args) == 0 {
			return withHint(errors.New("reviewer: no subcommand given"), "candor reviewer add --data DIR --name NAME")
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("reviewer "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), reviewerUsage+"\nFlags:\n"); fs.PrintDefaults() }
	data := fs.String("data", "", "instance data directory (required)")
	var name *string
	var admin, asJSON *bool
	switch sub {
	case "add":
		name = fs.String("name", "", "user name of the new reviewer: letters, digits, '.', '-', '_' (required)")
		admin = fs.Bool("admin", false, "make the reviewer an admin")
		asJSON = fs.Bool("json", false, "print the credentials as JSON")
	case "reset":
		name = fs.String("name", "", "user name of the reviewer (required)")
		asJSON = fs.Bool("json", false, "print the credentials as JSON")
	case "remove":
		name = fs.String("name", "", "user name of the reviewer (required)")
	case "list":
		asJSON = fs.Bool("json", false, "print the list as JSON")
	default:
		return withHint(fmt.Errorf("reviewer: unknown subcommand %q", sub), "run \"candor reviewer -h\"")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return withHint(fmt.Errorf("reviewer %s: %w", sub, err), "run \"candor reviewer -h\" for the flags")
	}
	if fs.NArg() > 0 {
		return withHint(fmt.Errorf("reviewer %s: unexpected argument %q", sub, fs.Arg(0)), "run \"candor reviewer -h\" for the flags")
	}
	if name != nil && *name == "" {
		return withHint(fmt.Errorf("reviewer %s: --name is required", sub), "candor reviewer "+sub+" --data DIR --name NAME")
	}
	inst, err := openInstance(*data)
	if err != nil {
		return prefixErr("reviewer "+sub, err)
	}
	defer inst.Close()
	srv, err := newJournalistServer(inst, nil)
	if err != nil {
		return fmt.Errorf("reviewer %s: %w", sub, err)
	}
	ctx := context.Background()
	const actor = "cli"

	switch sub {
	case "add":
		c, err := srv.CreateReviewer(ctx, actor, *name, *admin)
		switch {
		case errors.Is(err, journalist.ErrBadUsername):
			return withHint(fmt.Errorf("reviewer add: %q is not a valid user name", *name), "use 1-64 letters, digits, '.', '-' or '_'")
		case errors.Is(err, store.ErrExists):
			return withHint(fmt.Errorf("reviewer add: user name %q is taken", *name),
				"choose another --name, or give the existing reviewer new credentials with \"candor reviewer reset\"")
		case err != nil:
			return fmt.Errorf("reviewer add: %w", err)
		}
		return printCredentials(stdout, c, *asJSON, "created")
	case "reset":
		r, err := findReviewer(ctx, inst.store, *name, sub)
		if err != nil {
			return err
		}
		c, err := srv.ResetReviewer(ctx, actor, r.ID)
		if err != nil {
			return fmt.Errorf("reviewer reset: %w", err)
		}
		return printCredentials(stdout, c, *asJSON, "reset")
	case "remove":
		r, err := findReviewer(ctx, inst.store, *name, sub)
		if err != nil {
			return err
		}
		if err := srv.RemoveReviewer(ctx, actor, r.ID); err != nil {
			var ue *journalist.Error
			if errors.As(err, &ue) && ue.Code == "last_admin" {
				return withHint(fmt.Errorf("reviewer remove: %q is the only admin", r.Username),
					"add another admin first: candor reviewer add --data DIR --name NAME --admin")
			}
			return fmt.Errorf("reviewer remove: %w", err)
		}
		fmt.Fprintf(stdout, "Reviewer %q removed; their sessions ended and their Tor client authorization is revoked.\n", r.Username)
		return nil
	default: // list
		revs, err := inst.store.Reviewers(ctx)
		if err != nil {
			return fmt.Errorf("reviewer list: %w", err)
		}
		if *asJSON {
			type row struct {
				Username      string `json:"username"`
				Admin         bool   `json:"admin"`
				CreatedDay    string `json:"created_day"`
				HasClientAuth bool   `json:"has_client_auth"`
			}
			out := []row{}
			for _, r := range revs {
				out = append(out, row{r.Username, r.Admin, r.CreatedDay, r.ClientAuthPublic != ""})
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		}
		if len(revs) == 0 {
			fmt.Fprintln(stdout, "No reviewers yet. Add one with \"candor reviewer add --data DIR --name NAME --admin\".")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USER\tADMIN\tSINCE")
		for _, r := range revs {
			a := "no"
			if r.Admin {
				a = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Username, a, r.CreatedDay)
		}
		return tw.Flush()
	}
}

func findReviewer(ctx context.Context, st *store.Store, name, sub string) (*store.Reviewer, error) {
	r, err := st.ReviewerByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, withHint(fmt.Errorf("reviewer %s: no reviewer named %q", sub, name), "list them with \"candor reviewer list --data DIR\"")
	}
	if err != nil {
		return nil, fmt.Errorf("reviewer %s: %w", sub, err)
	}
	return r, nil
}

func printCredentials(w io.Writer, c *journalist.Credentials, asJSON bool, what string) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	role := "reviewer"
	if c.Admin {
		role = "admin"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Reviewer %q %s (%s). These credentials are shown ONCE: hand them over in person.\n\n", c.Username, what, role)
	fmt.Fprintf(&b, "  user name:    %s\n", c.Username)
	fmt.Fprintf(&b, "  passphrase:   %s\n", c.Passphrase)
	fmt.Fprintf(&b, "  TOTP secret:  %s\n", c.TOTPSecret)
	fmt.Fprintf(&b, "  TOTP URI:     %s\n", c.TOTPURI)
	if c.ClientAuth != "" {
		onion, _, _ := strings.Cut(c.ClientAuth, ":")
		fmt.Fprintf(&b, "  client auth:  %s\n", c.ClientAuth)
		fmt.Fprintf(&b, "                (save this line as %s.auth_private in the reviewer's Tor ClientOnionAuthDir;\n", onion)
		fmt.Fprintf(&b, "                 the journalist interface is at http://%s.onion/)\n", onion)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
