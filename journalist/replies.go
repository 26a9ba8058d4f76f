package journalist

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
	"github.com/candor-drop/candor/store"
)

// MaxReplyBundleBytes caps an uploaded reply bundle; it is staged in
// memory until it has verified in full.
const MaxReplyBundleBytes = 64 << 20

// ApplyResult says what applying a reply bundle did.
type ApplyResult struct {
	BundleID       string `json:"bundle_id"`
	AlreadyApplied bool   `json:"already_applied"` // the same bundle was applied before: nothing changed
	RepliesAdded   int    `json:"replies_added"`
	RepliesSkipped int    `json:"replies_skipped"` // already stored (same reply id)
	StatusesSet    int    `json:"statuses_set"`
}

// Errors of a refused reply bundle; nothing was changed.
var (
	ErrBundleSignature = userError("bundle_signature", 400, "The reply bundle is not signed by a pinned review key (unsigned, unknown signer or bad signature). Nothing was changed.", nil)
	ErrBundleCorrupt   = userError("bundle_corrupt", 400, "The reply bundle is damaged or was altered: its contents do not match its signed manifest. Nothing was changed.", nil)
	ErrBundleFormat    = userError("bundle_format", 400, "This file is not a Candor reply bundle of a supported version. Nothing was changed.", nil)
	ErrBundleTooLarge  = userError("bundle_too_large", 413, "The reply bundle is too large. Nothing was changed.", nil)
)

func bundleError(base *Error, cause error) *Error {
	e := *base
	e.Err = cause
	return &e
}

// isOpenPGPMessage checks that b starts like an encrypted OpenPGP message:
// ASCII armor "BEGIN PGP MESSAGE", or a first packet that is a public-key
// or symmetric-key encrypted session key (RFC 9580 §4.2, both header forms).
func isOpenPGPMessage(b []byte) bool {
	if bytes.HasPrefix(b, []byte("-----BEGIN PGP MESSAGE-----")) {
		return true
	}
	if len(b) < 2 || b[0]&0x80 == 0 {
		return false
	}
	var tag byte
	if b[0]&0x40 != 0 {
		tag = b[0] & 0x3f
	} else {
		tag = (b[0] >> 2) & 0x0f
	}
	return tag == 1 || tag == 3
}

// trustedReviewKey maps a signer string to a pinned review key.
func (s *Server) trustedReviewKey(ctx context.Context) (func(string) (crypto.VerifyKey, bool), error) {
	keys, err := s.st.ReviewKeys(ctx)
	if err != nil {
		return nil, err
	}
	return func(signer string) (crypto.VerifyKey, bool) {
		for _, k := range keys {
			if k.PublicKey != signer {
				continue
			}
			vk, err := crypto.ParseVerifyKey(k.PublicKey)
			if err != nil {
				return crypto.VerifyKey{}, false
			}
			return vk, true
		}
		return crypto.VerifyKey{}, false
	}, nil
}

// ApplyReplies reads a reply bundle, verifies it against the pinned review
// keys, checks every entry, and only then stores its replies and status
// changes. A bundle that fails any check changes nothing. Applying the
// same bundle (or the same replies) again changes nothing.
func (s *Server) ApplyReplies(ctx context.Context, actor string, r io.Reader) (*ApplyResult, error) {
	trusted, err := s.trustedReviewKey(ctx)
	if err != nil {
		return nil, err
	}
	lr := &io.LimitedReader{R: r, N: MaxReplyBundleBytes + 1}
	var body io.Reader = lr
	rr, err := bundle.ReadReply(body, trusted)
	if err != nil {
		return nil, classifyBundleErr(err, lr)
	}
	staged := map[string][]byte{}
	for {
		name, blob, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, classifyBundleErr(err, lr)
		}
		b, err := io.ReadAll(blob)
		if err != nil {
			return nil, classifyBundleErr(err, lr)
		}
		staged[name] = b
	}
	// Anything after the archive counts towards the size limit too.
	if _, err := io.Copy(io.Discard, body); err != nil {
		return nil, classifyBundleErr(err, lr)
	}
	if lr.N <= 0 {
		return nil, ErrBundleTooLarge
	}
	m := rr.Manifest
	res := &ApplyResult{BundleID: m.BundleID}

	// Check every entry before changing anything.
	known := map[string]bool{}
	checkSource := func(id string) error {
		if known[id] {
			return nil
		}
		_, err := s.st.Source(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return userError("unknown_source", 400, "The reply bundle names a source this server does not know (deleted?). Nothing was changed.", nil)
		}
		if err != nil {
			return err
		}
		known[id] = true
		return nil
	}
	for _, rep := range m.Replies {
		if err := checkSource(rep.SourceID); err != nil {
			return nil, err
		}
		if len(rep.Fingerprints) == 0 {
			return nil, userError("bundle_format", 400, "A reply in the bundle does not list the keys it was encrypted to. Nothing was changed.", nil)
		}
		if !isOpenPGPMessage(staged["replies/"+rep.ID]) {
			return nil, userError("not_openpgp", 400, "A reply in the bundle is not an encrypted OpenPGP message. Nothing was changed.", nil)
		}
	}
	for _, sc := range m.Statuses {
		if err := checkSource(sc.SourceID); err != nil {
			return nil, err
		}
		if !slices.Contains(store.Statuses, sc.Status) {
			return nil, userError("bad_status", 400, "A status change in the bundle is not one of the case statuses. Nothing was changed.", nil)
		}
		if sc.Note != nil && !isOpenPGPMessage(staged["notes/"+sc.ID]) {
			return nil, userError("not_openpgp", 400, "A status note in the bundle is not an encrypted OpenPGP message. Nothing was changed.", nil)
		}
	}
	// A bundle is known by its signer and its signed bundle id, not by the
	// file's bytes: a copy with padding or stray bytes after the archive
	// is the same bundle and must not apply again.
	id := sha256.Sum256([]byte("candor-reply-bundle\n" + rr.Signer.String() + "\n" + m.BundleID))
	digest := hex.EncodeToString(id[:])
	applied, err := s.st.BundleApplied(ctx, digest)
	if err != nil {
		return nil, err
	}
	if applied {
		res.AlreadyApplied = true
		return res, nil
	}

	// Apply. Only a server failure (disk full) can stop this part-way;
	// uploading the same bundle again then completes it (stored replies
	// are skipped by id).
	var added []string
	for _, rep := range m.Replies {
		blob := staged["replies/"+rep.ID]
		_, err := s.st.AddItem(ctx, store.NewItem{ID: rep.ID, SourceID: rep.SourceID, Kind: store.KindReply, Fingerprints: rep.Fingerprints},
			func(w io.Writer) error { _, err := w.Write(blob); return err })
		if errors.Is(err, store.ErrExists) {
			res.RepliesSkipped++
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("journalist: unable to store a reply: %w", err)
		}
		res.RepliesAdded++
		added = append(added, rep.ID)
	}
	for _, sc := range m.Statuses {
		var note []byte
		if sc.Note != nil {
			note = staged["notes/"+sc.ID]
		}
		if err := s.st.SetStatus(ctx, sc.SourceID, sc.Status, note); err != nil {
			return nil, fmt.Errorf("journalist: unable to set a status: %w", err)
		}
		res.StatusesSet++
	}
	// The reviewers wrote these replies offline: they are not news to them.
	if len(added) > 0 {
		if err := s.st.MarkExported(ctx, added); err != nil {
			return nil, err
		}
	}
	if err := s.st.MarkBundleApplied(ctx, digest, s.today()); err != nil {
		return nil, err
	}
	s.audit(ctx, actor, "reply bundle applied", fmt.Sprintf("replies=%d skipped=%d statuses=%d", res.RepliesAdded, res.RepliesSkipped, res.StatusesSet))
	return res, nil
}

func classifyBundleErr(err error, lr *io.LimitedReader) error {
	switch {
	case lr.N <= 0:
		return ErrBundleTooLarge
	case errors.Is(err, bundle.ErrSignature):
		return bundleError(ErrBundleSignature, err)
	case errors.Is(err, bundle.ErrCorrupt):
		return bundleError(ErrBundleCorrupt, err)
	case errors.Is(err, bundle.ErrFormat):
		return bundleError(ErrBundleFormat, err)
	}
	// A truncated or garbled archive.
	return bundleError(ErrBundleCorrupt, err)
}
