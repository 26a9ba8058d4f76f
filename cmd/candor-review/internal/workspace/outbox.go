package workspace

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
)

// Statuses are the case status words, in display order. They are a copy of
// store.Statuses: candor-review does not import the server's packages.
var Statuses = []string{
	"received",
	"in review",
	"referred for investigation",
	"closed — action taken",
	"closed — no case to answer",
}

// MaxReplyBytes caps a reply or a note.
const MaxReplyBytes = 1 << 20

// QueuedReply is a reply waiting in the outbox.
type QueuedReply struct {
	ID           string   `json:"id"`
	SourceID     string   `json:"source_id"`
	Designation  string   `json:"designation"`
	Fingerprints []string `json:"fingerprints"`
	Size         int64    `json:"size"`
	SHA256       string   `json:"sha256"`
}

// QueuedStatus is a status change waiting in the outbox.
type QueuedStatus struct {
	ID          string       `json:"id"`
	SourceID    string       `json:"source_id"`
	Designation string       `json:"designation"`
	Status      string       `json:"status"`
	Note        *bundle.Note `json:"note,omitempty"`
}

// Outbox is what is queued.
type Outbox struct {
	Replies  []QueuedReply  `json:"replies"`
	Statuses []QueuedStatus `json:"statuses"`
}

// ErrEmptyOutbox: nothing to write.
var ErrEmptyOutbox = errors.New("workspace: the outbox is empty")

func (h *Home) queuePath() string { return h.path(outboxDir, "queue.json") }

// LoadOutbox returns what is queued.
func (h *Home) LoadOutbox() (*Outbox, error) {
	ob := &Outbox{Replies: []QueuedReply{}, Statuses: []QueuedStatus{}}
	data, err := readFileLimit(h.queuePath(), 64<<20)
	if errors.Is(err, os.ErrNotExist) {
		return ob, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to read the outbox: %w", err)
	}
	if err := json.Unmarshal(data, ob); err != nil {
		return nil, fmt.Errorf("workspace: the outbox is damaged: %w", err)
	}
	return ob, nil
}

func (h *Home) saveOutbox(ob *Outbox) error {
	data, err := json.MarshalIndent(ob, "", " ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(h.queuePath(), data); err != nil {
		return fmt.Errorf("workspace: unable to write the outbox: %w", err)
	}
	return nil
}

func checkText(what string, text []byte) error {
	if len(strings.TrimSpace(string(text))) == 0 {
		return fmt.Errorf("workspace: the %s is empty", what)
	}
	if len(text) > MaxReplyBytes {
		return fmt.Errorf("workspace: the %s is longer than %d bytes", what, MaxReplyBytes)
	}
	if !utf8.Valid(text) {
		return fmt.Errorf("workspace: the %s is not UTF-8 text", what)
	}
	return nil
}

// encryptTo encrypts text to the source's key (and, when withSubmission,
// to this home's submission key and the pinned further recipients), stores it in the outbox under name and returns the
// manifest fields.
func (h *Home) encryptTo(name string, text []byte, src *Source, withSubmission bool) (size int64, sum string, fprs []string, err error) {
	sk, err := crypto.ParsePublicKey([]byte(src.PublicKey))
	if err != nil {
		return 0, "", nil, fmt.Errorf("workspace: the public key of %q is unusable: %w", src.Designation, err)
	}
	to := []*crypto.PublicKey{sk}
	if withSubmission {
		pk, err := h.PublicKey()
		if err != nil {
			return 0, "", nil, err
		}
		to = append(to, pk)
		more, err := h.Recipients()
		if err != nil {
			return 0, "", nil, err
		}
		to = append(to, more...)
	}
	ct, err := crypto.EncryptBytes(text, to...)
	if err != nil {
		return 0, "", nil, fmt.Errorf("workspace: unable to encrypt: %w", err)
	}
	for _, k := range to {
		fprs = append(fprs, k.Fingerprint())
	}
	if err := writeNewFile(h.path(outboxDir, name), func(w io.Writer) error { _, err := w.Write(ct); return err }); err != nil {
		return 0, "", nil, fmt.Errorf("workspace: unable to queue: %w", err)
	}
	s := sha256.Sum256(ct)
	return int64(len(ct)), hex.EncodeToString(s[:]), fprs, nil
}

// QueueReply encrypts a reply to the source (and to the submission key, so
// it can be read again here, and the pinned recipients) and queues it. No
// passphrase is needed.
func (h *Home) QueueReply(sourceRef string, text []byte) (*QueuedReply, error) {
	if err := checkText("reply", text); err != nil {
		return nil, err
	}
	var q QueuedReply
	err := h.queue(sourceRef, func(src *Source, ob *Outbox) (string, error) {
		q = QueuedReply{ID: newID(), SourceID: src.ID, Designation: src.Designation}
		file := q.ID + ".pgp"
		var err error
		q.Size, q.SHA256, q.Fingerprints, err = h.encryptTo(file, text, src, true)
		ob.Replies = append(ob.Replies, q)
		return file, err
	})
	if err != nil {
		return nil, err
	}
	return &q, nil
}

// queue runs add for the source named by sourceRef under the home lock and
// saves the outbox. add returns the name of the file it wrote in the outbox
// directory (or ""), which is removed if add or saving fails.
func (h *Home) queue(sourceRef string, add func(src *Source, ob *Outbox) (file string, err error)) error {
	unlock, err := h.lock()
	if err != nil {
		return err
	}
	defer unlock()
	ix, err := h.LoadIndex()
	if err != nil {
		return err
	}
	src, err := ix.FindSource(sourceRef)
	if err != nil {
		return err
	}
	ob, err := h.LoadOutbox()
	if err != nil {
		return err
	}
	file, err := add(src, ob)
	if err == nil {
		err = h.saveOutbox(ob)
	}
	if err != nil && file != "" {
		os.Remove(h.path(outboxDir, file))
	}
	return err
}

// NormalizeStatus returns the status word matching s (case-insensitive;
// "-" or "--" may stand for the dash), or an error.
func NormalizeStatus(s string) (string, error) {
	want := strings.Join(strings.Fields(strings.ToLower(s)), " ")
	want = strings.NewReplacer(" -- ", " — ", " - ", " — ", " – ", " — ").Replace(want)
	for _, st := range Statuses {
		if st == want {
			return st, nil
		}
	}
	return "", fmt.Errorf("workspace: %q is not a status (one of: %s)", s, strings.Join(Statuses, "; "))
}

// QueueStatus queues a status change with an optional note for the source
// (encrypted to the source's key, the submission key and the pinned
// recipients).
func (h *Home) QueueStatus(sourceRef, status string, note []byte) (*QueuedStatus, error) {
	st, err := NormalizeStatus(status)
	if err != nil {
		return nil, err
	}
	if note != nil {
		if err := checkText("note", note); err != nil {
			return nil, err
		}
	}
	var q QueuedStatus
	err = h.queue(sourceRef, func(src *Source, ob *Outbox) (string, error) {
		q = QueuedStatus{ID: newID(), SourceID: src.ID, Designation: src.Designation, Status: st}
		file := ""
		if note != nil {
			file = q.ID + ".note.pgp"
			var n bundle.Note
			var err error
			n.Size, n.SHA256, n.Fingerprints, err = h.encryptTo(file, note, src, true)
			if err != nil {
				return file, err
			}
			q.Note = &n
		}
		ob.Statuses = append(ob.Statuses, q)
		return file, nil
	})
	if err != nil {
		return nil, err
	}
	return &q, nil
}

// WriteOutbox writes everything queued as one reply bundle at out, signed
// with the app's reply-signing key, and then empties the outbox. out must
// not exist; it is complete and fsynced before the outbox is emptied, and a
// failure leaves no file at out.
func (h *Home) WriteOutbox(out string, sk *crypto.SigningKey) (*Outbox, error) {
	unlock, err := h.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	ob, err := h.LoadOutbox()
	if err != nil {
		return nil, err
	}
	if len(ob.Replies) == 0 && len(ob.Statuses) == 0 {
		return nil, ErrEmptyOutbox
	}
	m := &bundle.ReplyManifest{
		BundleID: newID(),
		Day:      time.Now().UTC().Format("2006-01-02"),
		Replies:  []bundle.Reply{},
		Statuses: []bundle.StatusChange{},
	}
	for _, r := range ob.Replies {
		m.Replies = append(m.Replies, bundle.Reply{ID: r.ID, SourceID: r.SourceID, Size: r.Size, SHA256: r.SHA256, Fingerprints: r.Fingerprints})
	}
	for _, s := range ob.Statuses {
		m.Statuses = append(m.Statuses, bundle.StatusChange{ID: s.ID, SourceID: s.SourceID, Status: s.Status, Note: s.Note})
	}
	open := func(name string) (io.ReadCloser, error) {
		var file string
		if id, ok := strings.CutPrefix(name, "replies/"); ok && bundle.ValidID(id) {
			file = id + ".pgp"
		} else if id, ok := strings.CutPrefix(name, "notes/"); ok && bundle.ValidID(id) {
			file = id + ".note.pgp"
		} else {
			return nil, fmt.Errorf("unexpected blob %q", name)
		}
		return os.Open(h.path(outboxDir, file))
	}
	if err := writeNewFile(out, func(w io.Writer) error {
		return bundle.WriteReply(w, m, sk, open)
	}); err != nil {
		return nil, fmt.Errorf("workspace: unable to write the reply bundle: %w", err)
	}
	// The bundle is durable: empty the outbox.
	if err := h.saveOutbox(&Outbox{Replies: []QueuedReply{}, Statuses: []QueuedStatus{}}); err != nil {
		return nil, err
	}
	for _, r := range ob.Replies {
		os.Remove(h.path(outboxDir, r.ID+".pgp"))
	}
	for _, s := range ob.Statuses {
		os.Remove(h.path(outboxDir, s.ID+".note.pgp"))
	}
	return ob, nil
}

// OutboxPath is where queued ciphertext lives (for the tests and the guide).
func (h *Home) OutboxPath() string { return filepath.Join(h.Dir, outboxDir) }
