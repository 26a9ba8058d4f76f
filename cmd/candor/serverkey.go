package main

// `candor server-key`.

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

func init() {
	register("server-key", "print the bundle-signing public key to pin in candor-review", runServerKey)
}

func runServerKey(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: candor server-key --data DIR\n\n"+
			"Prints the instance's bundle-signing public key (candor-ed25519:…), one line.\n"+
			"Reviewers pin it with \"candor-review trust\".\n\nFlags:\n")
		fs.PrintDefaults()
	}
	data := fs.String("data", "", "instance data directory (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return withHint(fmt.Errorf("server-key: %w", err), "run \"candor server-key -h\" for the flags")
	}
	if fs.NArg() > 0 {
		return withHint(fmt.Errorf("server-key: unexpected argument %q", fs.Arg(0)), "run \"candor server-key -h\" for the flags")
	}
	// Only the key file is read: the database is not opened, so this is
	// safe beside a running server.
	if err := checkInstance(*data); err != nil {
		return prefixErr("server-key", err)
	}
	k, err := loadSigningKey(*data)
	if err != nil {
		return prefixErr("server-key", err)
	}
	_, err = fmt.Fprintln(stdout, k.Public().String())
	return err
}

// prefixErr prefixes err's message with the command name, keeping its hint.
func prefixErr(cmd string, err error) error {
	var h *hintError
	if errors.As(err, &h) {
		return withHint(fmt.Errorf("%s: %w", cmd, err), h.hint)
	}
	return fmt.Errorf("%s: %w", cmd, err)
}
