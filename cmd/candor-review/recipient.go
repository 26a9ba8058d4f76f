package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/candor-drop/candor/cmd/candor-review/internal/workspace"
)

func init() {
	register("recipient", "recipient add FILE | list | remove FINGERPRINT",
		"pin the unit's other submission public keys, which replies and notes are also encrypted to", runRecipient)
}

// runRecipient manages further reply recipients: the unit's other active
// submission keys (key rotation, a second unit). They are pinned here by
// hand, never taken from a bundle, so a compromised server cannot add a
// key of its own.
func runRecipient(e *env, args []string) error {
	f := newFlags(e, "recipient", false)
	pos, err := f.parseAny(args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) == 0 {
		f.Usage()
		return errors.New("recipient: say add, list or remove")
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	switch verb, rest := pos[0], pos[1:]; {
	case verb == "add" && len(rest) == 1:
		data, err := os.ReadFile(rest[0])
		if err != nil {
			return fmt.Errorf("recipient: unable to read the key: %w", err)
		}
		k, err := h.AddRecipient(data)
		if errors.Is(err, workspace.ErrRecipientExists) || errors.Is(err, workspace.ErrOwnKey) {
			return userError(err)
		}
		if err != nil {
			return withHint(userError(err), "FILE must hold a submission public key, e.g. what \"candor-review pubkey\" prints on the other workstation")
		}
		fmt.Fprintf(e.stdout, "Replies and notes will also be encrypted to %s.\n", k.Fingerprint())
		return nil
	case verb == "list" && len(rest) == 0:
		keys, err := h.Recipients()
		if err != nil {
			return userError(err)
		}
		own, err := h.PublicKey()
		if err != nil {
			return userError(err)
		}
		fmt.Fprintf(e.stdout, "%s (this home's submission key)\n", own.Fingerprint())
		for _, k := range keys {
			fmt.Fprintln(e.stdout, k.Fingerprint())
		}
		return nil
	case verb == "remove" && len(rest) == 1:
		if err := h.RemoveRecipient(rest[0]); err != nil {
			return withHint(userError(err), "\"candor-review recipient list\" shows the fingerprints")
		}
		fmt.Fprintf(e.stdout, "Removed %s; new replies are no longer encrypted to it.\n", rest[0])
		return nil
	}
	f.Usage()
	return fmt.Errorf("recipient: unknown or incomplete command %q", pos[0])
}
