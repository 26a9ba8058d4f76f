package main

// `candor onion`: the instance's onion addresses.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/candor-drop/candor/tor"
)

func init() {
	register("onion", "show the source and journalist onion addresses", runOnion)
}

func runOnion(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("onion", flag.ContinueOnError)
	fl.SetOutput(stderr)
	data := fl.String("data", "", "instance data directory (required)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if err := checkInstance(*data); err != nil {
		return fmt.Errorf("onion: %w", err)
	}
	var b strings.Builder
	for _, s := range []struct{ name, file, note string }{
		{"source", sourceKeyFile, "give this address to reporters (Tor Browser)"},
		{"journalist", journalistKeyFile, "reviewers only, with their client-authorization key"},
	} {
		_, id, err := tor.LoadServiceKey(filepath.Join(*data, filepath.FromSlash(s.file)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(&b, "%-11s (no key yet: it is made by the first \"candor serve\")\n", s.name+":")
		case err != nil:
			return fmt.Errorf("onion: %w", err)
		default:
			fmt.Fprintf(&b, "%-11s http://%s.onion/  (%s)\n", s.name+":", id, s.note)
		}
	}
	_, err := io.WriteString(stdout, b.String())
	return err
}
