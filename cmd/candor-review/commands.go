package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/candor-drop/candor/cmd/candor-review/internal/term"
	"github.com/candor-drop/candor/cmd/candor-review/internal/workspace"
	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
)

func init() {
	register("init", "init [--import-key FILE] [--profile gnupg|rfc9580]", "create a home with a new or imported submission key", runInit)
	register("pubkey", "pubkey", "print the public submission key to carry to the server", runPubkey)
	register("trust", "trust FILE", "pin the server's bundle-signing key (the output of \"candor server-key\")", runTrust)
	register("signing-key", "signing-key", "print this app's reply-signing key (for \"candor review-key add\")", runSigningKey)
	register("import", "import BUNDLE", "verify, decrypt and file an export bundle", runImport)
	register("list", "list [--json]", "list sources, their items and case status", runList)
	register("show", "show ITEM", "show a report, reply or attachment's details", runShow)
	register("export", "export ITEM --to DIR", "write an attachment out, with a metadata-stripped copy", runExport)
	register("reply", "reply --source DESIGNATION --message-file FILE", "queue a reply to a source", runReply)
	register("status", "status --source DESIGNATION --set STATUS [--note-file FILE]", "queue a case status change", runStatus)
	register("outbox", "outbox [--out BUNDLE]", "show the queue, or write it as one signed reply bundle", runOutbox)
	register("browse", "browse", "open the terminal interface (the default with no command)", runBrowse)
}

// userError turns a library error into what the user reads, with a hint.
func userError(err error) error {
	var h *hintError
	if err == nil || errors.As(err, &h) {
		return err
	}
	msg := strings.ReplaceAll(err.Error(), "workspace: ", "")
	plain := errors.New(msg)
	switch {
	case errors.Is(err, workspace.ErrNotTrusted):
		return withHint(plain, "pin the server's key first: candor-review trust --home DIR FILE (FILE holds what \"candor server-key\" prints)")
	case errors.Is(err, bundle.ErrSignature):
		return withHint(plain, "the bundle was not signed by the pinned server key; get a fresh export from your own server")
	case errors.Is(err, bundle.ErrCorrupt), errors.Is(err, bundle.ErrFormat):
		return withHint(plain, "the bundle is damaged or incomplete; copy it again from the server")
	case errors.Is(err, workspace.ErrNotFound):
		return withHint(plain, "run \"candor-review list\" to see ids and designations")
	case errors.Is(err, workspace.ErrAmbiguous):
		return withHint(plain, "give more characters of the id; for a source, give its id (\"candor-review list --json\" shows it)")
	case errors.Is(err, os.ErrExist):
		return withHint(plain, "choose another place, or move the existing file away; nothing was overwritten")
	case errors.Is(err, workspace.ErrEmptyOutbox):
		return withHint(plain, "queue something first with \"candor-review reply\" or \"candor-review status\"")
	}
	return plain
}

func helpOK(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func runInit(e *env, args []string) error {
	f := newFlags(e, "init", true)
	importKey := f.String("import-key", "", "import this private key (exported with \"gpg --export-secret-keys\"), armored or binary")
	profile := f.String("profile", "gnupg", "profile of a new key: \"gnupg\" (reads with GnuPG 2.2 and Sequoia) or \"rfc9580\"")
	name := f.String("name", "", "user id of a new key (default \"Candor submission key\")")
	if _, err := f.parse(args, 0); err != nil {
		return helpOK(err)
	}
	o := workspace.InitOptions{Name: *name}
	switch *profile {
	case "gnupg":
		o.Profile = crypto.ProfileGnuPG
	case "rfc9580":
		o.Profile = crypto.ProfileRFC9580
	default:
		return withHint(fmt.Errorf("unknown profile %q", *profile), "use --profile gnupg (the default) or --profile rfc9580")
	}
	dir := f.homeDir()
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return withHint(fmt.Errorf("%s already exists", dir), "nothing was changed; choose another --home, or move the old one away yourself")
	}
	if *importKey != "" {
		data, err := os.ReadFile(*importKey)
		if err != nil {
			return fmt.Errorf("unable to read the key to import: %w", err)
		}
		o.ImportKey = data
	}
	prompt := "Choose a passphrase for the submission key: "
	if o.ImportKey != nil {
		prompt = "Passphrase (of the imported key, if it has one; it will protect the key here): "
	}
	p, err := f.passphrase(prompt, o.ImportKey == nil)
	if err != nil {
		return err
	}
	o.Passphrase = p
	res, err := workspace.Init(dir, o)
	if err != nil {
		switch {
		case errors.Is(err, crypto.ErrNoEncryptionKey):
			return withHint(userError(err), "add an encryption subkey in GnuPG: gpg --quick-add-key FPR cv25519 encr")
		case errors.Is(err, crypto.ErrPassphrase):
			return withHint(errors.New("the key to import is protected by a different passphrase"), "give the key's own passphrase; it then protects the key here too")
		case errors.Is(err, workspace.ErrHomeExists):
			return withHint(userError(err), "nothing was changed; choose another --home")
		}
		return userError(err)
	}
	verb := "Created"
	if res.Imported {
		verb = "Imported"
	}
	fmt.Fprintf(e.stdout, "%s the submission key %s in %s.\n", verb, res.Fingerprint, dir)
	fmt.Fprintf(e.stdout, "Reply-signing key: %s\n", res.SigningKey)
	fmt.Fprintf(e.stdout, "Next: carry the output of \"candor-review pubkey\" and \"candor-review signing-key\" to the server, and pin its key with \"candor-review trust\".\n")
	return nil
}

func runPubkey(e *env, args []string) error {
	f := newFlags(e, "pubkey", false)
	if _, err := f.parse(args, 0); err != nil {
		return helpOK(err)
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	a, err := h.PublicKeyArmored()
	if err != nil {
		return userError(err)
	}
	io.WriteString(e.stdout, a)
	if !strings.HasSuffix(a, "\n") {
		io.WriteString(e.stdout, "\n")
	}
	return nil
}

func runSigningKey(e *env, args []string) error {
	f := newFlags(e, "signing-key", false)
	if _, err := f.parse(args, 0); err != nil {
		return helpOK(err)
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	s, err := h.SigningPublic()
	if err != nil {
		return userError(err)
	}
	fmt.Fprintln(e.stdout, s)
	return nil
}

func runTrust(e *env, args []string) error {
	f := newFlags(e, "trust", false)
	replace := f.Bool("replace", false, "replace a different key pinned before")
	pos, err := f.parse(args, 1)
	if err != nil {
		return helpOK(err)
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("unable to read the server key: %w", err)
	}
	if len(data) > 4096 {
		return errors.New("the server key file is too long")
	}
	k, err := h.Trust(string(data), *replace)
	if errors.Is(err, workspace.ErrTrustChange) {
		return withHint(errors.New("a different server key is already pinned"), "if the server's key really changed (check with its administrator in person), add --replace")
	}
	if err != nil {
		return withHint(userError(err), "FILE must hold the line \"candor server-key\" prints: candor-ed25519:…")
	}
	fmt.Fprintf(e.stdout, "Pinned the server key %s (fingerprint %s).\n", k.String(), k.Fingerprint())
	return nil
}

func runImport(e *env, args []string) error {
	f := newFlags(e, "import", true)
	pos, err := f.parse(args, 1)
	if err != nil {
		return helpOK(err)
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	if _, err := h.Trusted(); err != nil {
		return userError(err)
	}
	bf, err := os.Open(pos[0])
	if err != nil {
		return fmt.Errorf("unable to open the bundle: %w", err)
	}
	defer bf.Close()
	key, err := f.unlock(h)
	if err != nil {
		return err
	}
	var o workspace.ImportOptions
	var bar *term.Progress
	if fe, ok := e.stderr.(*os.File); ok && term.IsTerminal(fe) {
		o.Progress = func(total, n int64) {
			if bar == nil {
				bar = term.NewProgress(e.stderr, "Importing", total)
			}
			bar.Add(n)
		}
	}
	// Large reads: the tar reader would otherwise issue one small read(2)
	// per OpenPGP chunk.
	res, err := h.Import(bufio.NewReaderSize(bf, 1<<20), key, o)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return userError(err)
	}
	ix, err := h.LoadIndex()
	if err != nil {
		return userError(err)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(e.stderr, "candor-review: warning: skipped %s %s from %q: %s\n", s.Kind, s.ID, term.Line(s.Source), s.Reason)
	}
	if res.Unchanged {
		fmt.Fprintf(e.stdout, "Bundle %s was imported before; nothing changed.\n", term.Line(res.BundleID))
		return nil
	}
	fmt.Fprintf(e.stdout, "Imported %d new item(s) from bundle %s (%s); %d already here, %d skipped.\n",
		len(res.New), term.Line(res.BundleID), term.Line(res.Instance), res.Known, len(res.Skipped))
	for _, it := range res.New {
		des := ""
		if s, ok := ix.Sources[it.SourceID]; ok {
			des = s.Designation
		}
		fmt.Fprintf(e.stdout, "  %s  %-7s  %s  %s\n", it.ID, it.Kind, term.Line(it.Day), term.Line(des))
	}
	return nil
}

func runList(e *env, args []string) error {
	f := newFlags(e, "list", false)
	asJSON := f.Bool("json", false, "print JSON")
	if _, err := f.parse(args, 0); err != nil {
		return helpOK(err)
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	ix, err := h.LoadIndex()
	if err != nil {
		return userError(err)
	}
	list := ix.List()
	if *asJSON {
		type jsonSource struct {
			ID          string           `json:"id"`
			Designation string           `json:"designation"`
			Status      string           `json:"status"`
			StatusDay   string           `json:"status_day"`
			Items       []workspace.Item `json:"items"`
		}
		out := make([]jsonSource, 0, len(list))
		for _, s := range list {
			out = append(out, jsonSource{s.ID, s.Designation, s.Status, s.StatusDay, s.Items})
		}
		data, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(append(term.JSON(data), '\n'))
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "No sources yet. Import an export bundle with \"candor-review import BUNDLE\".")
		return nil
	}
	for _, s := range list {
		status := s.Status
		if status == "" {
			status = "no status"
		}
		fmt.Fprintf(e.stdout, "%s  [%s since %s]  %d item(s)\n", term.Line(s.Designation), term.Line(status), term.Line(s.StatusDay), len(s.Items))
		for _, it := range s.Items {
			what := it.Kind
			if it.Kind == "file" {
				what = "file     " + term.Line(it.Filename)
			}
			fmt.Fprintf(e.stdout, "  %s  %s  %s\n", it.ID, term.Line(it.Day), what)
		}
	}
	return nil
}

func runShow(e *env, args []string) error {
	f := newFlags(e, "show", false)
	pos, err := f.parse(args, 1)
	if err != nil {
		return helpOK(err)
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	ix, err := h.LoadIndex()
	if err != nil {
		return userError(err)
	}
	it, err := ix.FindItem(pos[0])
	if err != nil {
		return userError(err)
	}
	text, err := h.Render(ix, it)
	if err != nil {
		return userError(err)
	}
	io.WriteString(e.stdout, text)
	return nil
}

func runExport(e *env, args []string) error {
	f := newFlags(e, "export", false)
	to := f.String("to", "", "directory to write the attachment to (required)")
	pos, err := f.parse(args, 1)
	if err != nil {
		return helpOK(err)
	}
	if *to == "" {
		return withHint(errors.New("export: --to DIR is required"), "for example: candor-review export ITEM --to /media/usb/case-files")
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	ix, err := h.LoadIndex()
	if err != nil {
		return userError(err)
	}
	it, err := ix.FindItem(pos[0])
	if err != nil {
		return userError(err)
	}
	if it.Kind != "file" {
		return withHint(fmt.Errorf("item %s is a %s, not an attachment", it.ID, it.Kind), "use \"candor-review show\" to read reports and replies")
	}
	res, err := h.Export(it, *to)
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(e.stdout, "Wrote the original (untouched, may carry metadata): %s\n", term.Line(res.Original))
	if res.Cleaned == "" {
		fmt.Fprintf(e.stdout, "No cleaned copy: %s.\n", term.Line(res.NotCleaned))
		return nil
	}
	fmt.Fprintf(e.stdout, "Wrote a copy with metadata removed: %s\n", term.Line(res.Cleaned))
	if len(res.Removed) == 0 {
		fmt.Fprintf(e.stdout, "The %s file carried no metadata candor-review knows of.\n", res.Format)
	}
	for _, r := range res.Removed {
		fmt.Fprintf(e.stdout, "  removed: %s\n", term.Line(r))
	}
	return nil
}

func readTextFile(name, what string) ([]byte, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("unable to read the %s: %w", what, err)
	}
	if fi.Size() > workspace.MaxReplyBytes {
		return nil, fmt.Errorf("the %s is larger than %d bytes", what, workspace.MaxReplyBytes)
	}
	return os.ReadFile(name)
}

func runReply(e *env, args []string) error {
	f := newFlags(e, "reply", false)
	source := f.String("source", "", "designation of the source (as \"list\" shows it)")
	msgFile := f.String("message-file", "", "file holding the reply text (UTF-8)")
	if _, err := f.parse(args, 0); err != nil {
		return helpOK(err)
	}
	if *source == "" || *msgFile == "" {
		return withHint(errors.New("reply: --source and --message-file are required"), "candor-review reply --source \"quiet heron\" --message-file reply.txt")
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	text, err := readTextFile(*msgFile, "reply")
	if err != nil {
		return err
	}
	q, err := h.QueueReply(*source, text)
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(e.stdout, "Queued reply %s to %s. Write the outbox with \"candor-review outbox --out FILE\".\n", q.ID, term.Line(q.Designation))
	return nil
}

func runStatus(e *env, args []string) error {
	f := newFlags(e, "status", false)
	source := f.String("source", "", "designation of the source")
	set := f.String("set", "", "new status: "+strings.Join(workspace.Statuses, "; "))
	noteFile := f.String("note-file", "", "optional note shown to the source, from this file")
	if _, err := f.parse(args, 0); err != nil {
		return helpOK(err)
	}
	if *source == "" || *set == "" {
		return withHint(errors.New("status: --source and --set are required"), "statuses: "+strings.Join(workspace.Statuses, "; "))
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	var note []byte
	if *noteFile != "" {
		if note, err = readTextFile(*noteFile, "note"); err != nil {
			return err
		}
	}
	q, err := h.QueueStatus(*source, *set, note)
	if err != nil {
		if strings.Contains(err.Error(), "is not a status") {
			return withHint(userError(err), "quote it: --set \"in review\"; \"-\" may stand for the dash")
		}
		return userError(err)
	}
	fmt.Fprintf(e.stdout, "Queued status %q for %s.\n", q.Status, term.Line(q.Designation))
	return nil
}

func runOutbox(e *env, args []string) error {
	f := newFlags(e, "outbox", true)
	out := f.String("out", "", "write the queue as a signed reply bundle to this new file")
	if _, err := f.parse(args, 0); err != nil {
		return helpOK(err)
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	if *out == "" {
		ob, err := h.LoadOutbox()
		if err != nil {
			return userError(err)
		}
		fmt.Fprintf(e.stdout, "%d reply(ies) and %d status change(s) queued.\n", len(ob.Replies), len(ob.Statuses))
		for _, r := range ob.Replies {
			fmt.Fprintf(e.stdout, "  reply   %s  to %s\n", r.ID, term.Line(r.Designation))
		}
		for _, s := range ob.Statuses {
			fmt.Fprintf(e.stdout, "  status  %s  %s: %s\n", s.ID, term.Line(s.Designation), s.Status)
		}
		return nil
	}
	if _, err := os.Lstat(*out); err == nil {
		return withHint(fmt.Errorf("%s already exists", *out), "choose a new file name; nothing was overwritten")
	}
	ob, err := h.LoadOutbox()
	if err != nil {
		return userError(err)
	}
	if len(ob.Replies) == 0 && len(ob.Statuses) == 0 {
		return userError(workspace.ErrEmptyOutbox)
	}
	key, err := f.unlock(h)
	if err != nil {
		return err
	}
	sk, err := h.SigningKey(key)
	if err != nil {
		return userError(err)
	}
	done, err := h.WriteOutbox(*out, sk)
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(e.stdout, "Wrote %s: %d reply(ies), %d status change(s). The outbox is now empty.\n", *out, len(done.Replies), len(done.Statuses))
	fmt.Fprintln(e.stdout, "Carry it to the server and upload it (or \"candor apply-replies\").")
	return nil
}
