package main

// `candor init`.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/candor-drop/candor/crypto"
)

func init() {
	register("init", "create a new instance (data directory, secrets, database)", runInit)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func runInit(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: candor init --data DIR --submission-key FILE [--submission-key FILE…]\n\n"+
			"Creates a Candor instance in DIR: a random pepper and a bundle-signing key\n"+
			"(DIR/secrets, mode 0600), the database, default settings and the given\n"+
			"submission public keys (OpenPGP, armored or binary, from \"candor-review pubkey\"\n"+
			"or \"gpg --export\"). It refuses to touch an existing instance.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	data := fs.String("data", "", "instance data directory to create (required)")
	var keyFiles stringList
	fs.Var(&keyFiles, "submission-key", "file with a submission public key; repeat for several (at least one)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return withHint(fmt.Errorf("init: %w", err), "run \"candor init -h\" for the flags")
	}
	if fs.NArg() > 0 {
		return withHint(fmt.Errorf("init: unexpected argument %q", fs.Arg(0)), "run \"candor init -h\" for the flags")
	}
	if *data == "" {
		return withHint(errors.New("init: --data is required"), "candor init --data DIR --submission-key FILE")
	}
	if len(keyFiles) == 0 {
		return withHint(errors.New("init: at least one --submission-key is required"),
			"make one on the air-gapped workstation with \"candor-review init\" and export it with \"candor-review pubkey\"")
	}

	// Read and check every key before anything is created.
	keys := make([]*crypto.PublicKey, 0, len(keyFiles))
	for _, f := range keyFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("init: unable to read submission key: %w", err)
		}
		k, err := crypto.ParsePublicKey(b)
		if err != nil {
			return withHint(fmt.Errorf("init: %s: %w", f, err),
				"give an OpenPGP public key with an encryption subkey, as printed by \"candor-review pubkey\" or \"gpg --export --armor FPR\"")
		}
		keys = append(keys, k)
	}
	if err := createInstance(*data, keys); err != nil {
		return prefixErr("init", err)
	}
	signing, err := loadSigningKey(*data)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Created a Candor instance in %s\n", *data)
	for _, k := range keys {
		fmt.Fprintf(&b, "Submission key: %s\n", k.Fingerprint())
	}
	fmt.Fprintf(&b, "Bundle-signing key: %s\n", signing.Public())
	fmt.Fprintf(&b, "  (pin it on the air-gapped workstation with \"candor-review trust\"; \"candor server-key --data %s\" prints it again)\n", *data)
	fmt.Fprintf(&b, "Next: candor serve --data %s\n", *data)
	_, err = io.WriteString(stdout, b.String())
	return err
}
