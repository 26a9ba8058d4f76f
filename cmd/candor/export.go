package main

// `candor export` and `candor apply-replies`.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/candor-drop/candor/journalist"
)

func init() {
	register("export", "write a signed export bundle of new items (ciphertext) for candor-review", runExport)
	register("apply-replies", "apply a signed reply bundle from candor-review", runApplyReplies)
}

func runExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: candor export --data DIR --out FILE [--all]\n\n"+
			"Writes a signed export bundle of the items not exported before (--all: every\n"+
			"item) to FILE, which must not exist, and marks them exported. The bundle holds\n"+
			"ciphertext only; candor-review verifies it against the server key. On failure\n"+
			"no file is left behind and nothing is marked.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	data := fs.String("data", "", "instance data directory (required)")
	out := fs.String("out", "", "file to write the bundle to; must not exist (required)")
	all := fs.Bool("all", false, "export every item, not only the new ones")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return withHint(fmt.Errorf("export: %w", err), "run \"candor export -h\" for the flags")
	}
	if fs.NArg() > 0 {
		return withHint(fmt.Errorf("export: unexpected argument %q", fs.Arg(0)), "run \"candor export -h\" for the flags")
	}
	if *out == "" {
		return withHint(errors.New("export: --out is required"), "candor export --data DIR --out FILE")
	}
	if _, err := os.Lstat(*out); err == nil {
		return withHint(fmt.Errorf("export: %s already exists; refusing to overwrite it", *out), "choose another --out file")
	}
	inst, err := openInstance(*data)
	if err != nil {
		return prefixErr("export", err)
	}
	defer inst.Close()
	srv, err := newJournalistServer(inst, nil)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	ctx := context.Background()

	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".partial-*")
	if err != nil {
		return fmt.Errorf("export: unable to create the output file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	res, err := srv.Export(ctx, tmp, journalist.ExportSelection{All: *all})
	if errors.Is(err, journalist.ErrNothingToExport) {
		return withHint(errors.New("export: there is no new item to export"), "use --all to export every item again")
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("export: unable to write %s: %w", *out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: unable to write %s: %w", *out, err)
	}
	// Link, not rename: never replace a file that appeared meanwhile.
	if err := os.Link(tmp.Name(), *out); err != nil {
		return fmt.Errorf("export: unable to create %s: %w", *out, err)
	}
	os.Remove(tmp.Name())
	done = true
	if err := srv.CommitExport(ctx, "cli", res); err != nil {
		return fmt.Errorf("export: the bundle was written but the items could not be marked exported: %w", err)
	}
	fmt.Fprintf(stdout, "Wrote %s: %d items from %d sources, signed with the server key.\n", *out, len(res.ItemIDs), res.Sources)
	return nil
}

func runApplyReplies(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apply-replies", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: candor apply-replies --data DIR FILE\n\n"+
			"Applies a reply bundle written by candor-review: checks its signature against\n"+
			"the pinned review keys and every entry, then stores its replies and status\n"+
			"changes. A bundle that fails any check changes nothing; applying a bundle\n"+
			"twice changes nothing the second time.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	data := fs.String("data", "", "instance data directory (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return withHint(fmt.Errorf("apply-replies: %w", err), "run \"candor apply-replies -h\" for the flags")
	}
	if fs.NArg() != 1 {
		return withHint(errors.New("apply-replies: give exactly one reply bundle FILE"), "candor apply-replies --data DIR FILE")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("apply-replies: %w", err)
	}
	defer f.Close()
	inst, err := openInstance(*data)
	if err != nil {
		return prefixErr("apply-replies", err)
	}
	defer inst.Close()
	srv, err := newJournalistServer(inst, nil)
	if err != nil {
		return fmt.Errorf("apply-replies: %w", err)
	}
	res, err := srv.ApplyReplies(context.Background(), "cli", f)
	if err != nil {
		var ue *journalist.Error
		if errors.As(err, &ue) {
			hint := ""
			if ue.Code == "bundle_signature" {
				hint = "pin the reviewer app's key with \"candor review-key add --data DIR FILE\" (FILE: output of \"candor-review signing-key\")"
			}
			return withHint(fmt.Errorf("apply-replies: %s", ue.Message), hint)
		}
		return fmt.Errorf("apply-replies: %w", err)
	}
	if res.AlreadyApplied {
		fmt.Fprintln(stdout, "This bundle was applied before; nothing changed.")
		return nil
	}
	fmt.Fprintf(stdout, "Applied: %d replies added, %d already present, %d case statuses set.\n", res.RepliesAdded, res.RepliesSkipped, res.StatusesSet)
	return nil
}
