package journalist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// Error is an error a reviewer is shown: a stable code (the API's
// "error.code"), an HTTP status and a plain message. Err, if any, is the
// cause, never shown.
type Error struct {
	Code    string
	Status  int
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "journalist: " + e.Message + ": " + e.Err.Error()
	}
	return "journalist: " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func userError(code string, status int, msg string, cause error) *Error {
	return &Error{Code: code, Status: status, Message: msg, Err: cause}
}

const maxOnlineTextBytes = 64 << 10

// audit writes an audit log entry; a failure is logged, not returned.
func (s *Server) audit(ctx context.Context, actor, action, detail string) {
	if err := s.st.AddAudit(ctx, store.AuditEntry{Day: s.today(), Actor: actor, Action: action, Detail: detail}); err != nil {
		s.log.Error("unable to write the audit log", "err", err)
	}
}

// encryptOnline encrypts text typed online to the source key and the
// active submission keys and returns the ciphertext and its recipients'
// fingerprints.
func (s *Server) encryptOnline(ctx context.Context, src *store.Source, text string) ([]byte, []string, error) {
	set, err := s.st.Settings(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !set.OnlineRepliesAllowed {
		return nil, nil, userError("online_replies_disabled", 403, "Replies and notes typed online are turned off on this instance; use an offline reply bundle.", nil)
	}
	if len(text) > maxOnlineTextBytes || !utf8.ValidString(text) {
		return nil, nil, userError("text_too_long", 400, "The text is too long (64 KiB at most) or not valid UTF-8.", nil)
	}
	srcKey, err := crypto.ParsePublicKey(src.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("journalist: unable to read a source key: %w", err)
	}
	subs, err := s.submission(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("journalist: unable to read the submission keys: %w", err)
	}
	if len(subs) == 0 {
		return nil, nil, userError("no_submission_key", 409, "There is no active submission key; an admin must add one first.", nil)
	}
	to := append([]*crypto.PublicKey{srcKey}, subs...)
	ct, err := crypto.EncryptBytes([]byte(text), to...)
	if err != nil {
		return nil, nil, fmt.Errorf("journalist: unable to encrypt: %w", err)
	}
	fprs := make([]string, len(to))
	for i, k := range to {
		fprs[i] = k.Fingerprint()
	}
	return ct, fprs, nil
}

// OnlineReply stores a reply typed online, encrypted to the source key and
// the submission keys.
func (s *Server) OnlineReply(ctx context.Context, actor, sourceID, text string) (*store.Item, error) {
	if text == "" {
		return nil, userError("empty_reply", 400, "The reply is empty.", nil)
	}
	src, err := s.st.Source(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	ct, fprs, err := s.encryptOnline(ctx, src, text)
	if err != nil {
		return nil, err
	}
	it, err := s.st.AddItem(ctx, store.NewItem{SourceID: src.ID, Kind: store.KindReply, Fingerprints: fprs},
		func(w io.Writer) error { _, err := w.Write(ct); return err })
	if err != nil {
		return nil, err
	}
	return it, nil
}

// SetStatus sets a source's case status; a non-empty note typed online is
// encrypted to the source key and the submission keys.
func (s *Server) SetStatus(ctx context.Context, actor, sourceID, status, note string) error {
	if !slices.Contains(store.Statuses, status) {
		return userError("bad_status", 400, "That is not a case status.", nil)
	}
	src, err := s.st.Source(ctx, sourceID)
	if err != nil {
		return err
	}
	var ct []byte
	if note != "" {
		if ct, _, err = s.encryptOnline(ctx, src, note); err != nil {
			return err
		}
	}
	return s.st.SetStatus(ctx, src.ID, status, ct)
}

// DeleteItem deletes one item.
func (s *Server) DeleteItem(ctx context.Context, actor, id string) error {
	if err := s.st.DeleteItem(ctx, id); err != nil {
		return err
	}
	s.audit(ctx, actor, "item deleted", "items=1")
	return nil
}

// DeleteSourceItems deletes all of a source's items, keeping the source.
func (s *Server) DeleteSourceItems(ctx context.Context, actor, sourceID string) error {
	its, err := s.st.Items(ctx, sourceID)
	if err != nil {
		return err
	}
	if _, err := s.st.Source(ctx, sourceID); err != nil {
		return err
	}
	if err := s.st.DeleteSourceItems(ctx, sourceID); err != nil {
		return err
	}
	s.audit(ctx, actor, "source items deleted", fmt.Sprintf("items=%d", len(its)))
	return nil
}

// DeleteSource deletes a source and all its items.
func (s *Server) DeleteSource(ctx context.Context, actor, sourceID string) error {
	if _, err := s.st.Source(ctx, sourceID); err != nil {
		return err
	}
	if err := s.st.DeleteSource(ctx, sourceID); err != nil {
		return err
	}
	s.audit(ctx, actor, "source deleted", "sources=1")
	return nil
}

// AddSubmissionKey adds an OpenPGP public key (armored or binary) as an
// active submission key and returns its fingerprint.
func (s *Server) AddSubmissionKey(ctx context.Context, actor string, data []byte) (string, error) {
	k, err := crypto.ParsePublicKey(data)
	if err != nil {
		return "", userError("bad_key", 400, "That is not a usable OpenPGP public key.", err)
	}
	fpr := k.Fingerprint()
	if err := s.st.AddSubmissionKey(ctx, fpr, k.Bytes()); err != nil {
		if errors.Is(err, store.ErrExists) {
			return "", userError("key_exists", 409, "That key is already known.", err)
		}
		return "", err
	}
	s.audit(ctx, actor, "submission key added", "fingerprint="+fpr)
	return fpr, nil
}

// RetireSubmissionKey stops encrypting new items to a submission key.
func (s *Server) RetireSubmissionKey(ctx context.Context, actor, fpr string) error {
	ks, err := s.st.SubmissionKeys(ctx, true)
	if err != nil {
		return err
	}
	known := false
	for _, k := range ks {
		known = known || k.Fingerprint == fpr
	}
	if known && len(ks) == 1 {
		return userError("last_key", 409, "This is the last active submission key; add another before retiring it.", nil)
	}
	if err := s.st.RetireSubmissionKey(ctx, fpr); err != nil {
		return err
	}
	s.audit(ctx, actor, "submission key retired", "fingerprint="+fpr)
	return nil
}

// SaveSettings checks and stores the instance settings.
func (s *Server) SaveSettings(ctx context.Context, actor string, set store.Settings) error {
	if set.OrganisationName == "" || len(set.OrganisationName) > 200 {
		return userError("bad_settings", 400, "The organisation name must be 1-200 characters.", nil)
	}
	if set.MaxUploadBytes <= 0 || set.MinFirstMessageChars < 0 || set.RetentionDays < 0 {
		return userError("bad_settings", 400, "Sizes, lengths and days cannot be negative, and the size limit must be positive.", nil)
	}
	if err := s.st.SaveSettings(ctx, set); err != nil {
		return err
	}
	s.audit(ctx, actor, "settings changed", fmt.Sprintf("uploads=%t max_upload_bytes=%d min_first_message_chars=%d online_replies=%t retention_days=%d",
		set.UploadsAllowed, set.MaxUploadBytes, set.MinFirstMessageChars, set.OnlineRepliesAllowed, set.RetentionDays))
	return nil
}

// RunRetention is the daily clean-up job. It deletes the reviewer
// sessions past their idle or absolute lifetime (which no request can use
// any more, but whose rows would otherwise stay), then the sources with no
// activity for more than the RetentionDays setting (0: never), and returns
// how many sources it deleted. A source that became active after the
// listing (logged in, submitted) is kept: the store deletes a source only
// if it is still inactive, in the transaction that deletes it.
func (s *Server) RunRetention(ctx context.Context) (int, error) {
	errs := []error{s.purgeSessions(ctx)}
	set, err := s.st.Settings(ctx)
	if err != nil {
		return 0, errors.Join(append(errs, err)...)
	}
	if set.RetentionDays <= 0 {
		return 0, errors.Join(errs...)
	}
	cutoff := s.now().UTC().AddDate(0, 0, -set.RetentionDays).Format("2006-01-02")
	ids, err := s.st.SourcesInactiveSince(ctx, cutoff)
	if err != nil {
		return 0, errors.Join(append(errs, err)...)
	}
	if s.retentionListed != nil {
		s.retentionListed(ids)
	}
	n := 0
	for _, id := range ids {
		deleted, err := s.st.DeleteSourceIfInactiveSince(ctx, id, cutoff)
		if deleted {
			n++
		}
		if err != nil {
			// Keep going unless ctx ended: one source that cannot be
			// deleted now must not keep the others.
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	if n > 0 {
		s.audit(ctx, "system", "retention: inactive sources deleted", fmt.Sprintf("sources=%d retention_days=%d", n, set.RetentionDays))
	}
	return n, errors.Join(errs...)
}

// purgeSessions deletes the sessions of each kind that sessionReviewer
// would refuse now: created at least the absolute lifetime ago or last
// seen at least the idle lifetime ago.
func (s *Server) purgeSessions(ctx context.Context) error {
	now := s.now().Unix()
	for _, kind := range []string{"web", "api"} {
		idle, abs := lifetimes(kind)
		if err := s.st.DeleteStaleSessions(ctx, kind, now-int64(abs/time.Second)+1, now-int64(idle/time.Second)+1); err != nil {
			return err
		}
	}
	return nil
}

// RunRetentionEvery runs RunRetention (expired sessions, inactive
// sources) now and then every interval until ctx ends (candor serve:
// every 24 hours).
func (s *Server) RunRetentionEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.RunRetention(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("retention job failed", "err", err)
		}
		if n > 0 {
			s.log.Info("retention job deleted inactive sources", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
