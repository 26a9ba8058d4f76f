package source

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// maxReplyBytes bounds the ciphertext of one reply read into memory.
const maxReplyBytes = 1 << 20

// history shows the reporter the case status, its note and the replies
// from the unit, each decrypted in memory with the session's derived key.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	sess := s.sessions.get(r)
	if sess == nil {
		s.showProblem(w, r, http.StatusUnauthorized, probSessionEnded)
		return
	}
	srcID := sess.source()
	if srcID == "" {
		// A new reporter who has not sent anything yet.
		http.Redirect(w, r, "/report", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	src, err := s.cfg.Store.Source(ctx, srcID)
	if errors.Is(err, errNotFound) {
		// Deleted by the unit (retention or on request).
		s.sessions.destroy(w, r)
		s.showProblem(w, r, http.StatusNotFound, probSourceGone)
		return
	}
	if err != nil {
		s.log.Error("source: unable to read a source", "err", err)
		s.showProblem(w, r, http.StatusInternalServerError, probServer)
		return
	}
	items, err := s.cfg.Store.Items(ctx, srcID)
	if err != nil {
		s.log.Error("source: unable to list items", "err", err)
		s.showProblem(w, r, http.StatusInternalServerError, probServer)
		return
	}
	key := sess.identity.PrivateKey()
	d := pageData{Title: "Your report", LoggedIn: true, Flash: sess.takeFlash(), Status: src.Status}
	if d.Status == "" {
		d.Status = store.StatusReceived
	}
	if len(src.StatusNote) > 0 {
		note, err := crypto.DecryptBytes(src.StatusNote, key)
		if err != nil {
			d.NoteError = true
		} else {
			d.StatusNote = strings.ToValidUTF8(string(note), "\uFFFD")
			clear(note)
		}
	}
	for _, it := range items {
		switch it.Kind {
		case store.KindMessage:
			d.Reports++
		case store.KindFile:
			d.Files++
		case store.KindReply:
			d.Replies = append(d.Replies, s.readReply(r, it, key))
		}
	}
	s.render(w, r, http.StatusOK, "history", d)
}

func (s *Server) readReply(r *http.Request, it store.Item, key *crypto.PrivateKey) reply {
	rp := reply{ID: it.ID, Day: it.Day, Bad: true}
	if it.Size > maxReplyBytes {
		return rp
	}
	rc, _, err := s.cfg.Store.OpenItem(r.Context(), it.ID)
	if err != nil {
		s.log.Error("source: unable to open a reply", "err", err)
		return rp
	}
	defer rc.Close()
	ct, err := io.ReadAll(io.LimitReader(rc, maxReplyBytes))
	if err != nil {
		s.log.Error("source: unable to read a reply", "err", err)
		return rp
	}
	pt, err := crypto.DecryptBytes(ct, key)
	if err != nil {
		return rp
	}
	rp.Text, rp.Bad = strings.ToValidUTF8(string(pt), "\uFFFD"), false
	clear(pt)
	return rp
}

var probSourceGone = problem{
	Heading:  "Your report is no longer here",
	Happened: "The reports and replies for this codename have been removed from the server, as the unit keeps them only for a limited time.",
	Saved:    "Nothing was changed.",
	Next:     "If you want to tell us more, please make a new report.",
	Link:     "/new", LinkText: "Make a new report",
}

// deleteReply deletes one reply of the logged-in reporter.
func (s *Server) deleteReply(w http.ResponseWriter, r *http.Request) {
	sess := s.sessions.get(r)
	if sess == nil {
		s.showProblem(w, r, http.StatusUnauthorized, probSessionEnded)
		return
	}
	srcID := sess.source()
	it, err := s.cfg.Store.Item(r.Context(), r.PathValue("id"))
	if errors.Is(err, errNotFound) || (err == nil && (srcID == "" || it.SourceID != srcID || it.Kind != store.KindReply)) {
		s.showProblem(w, r, http.StatusNotFound, probReplyGone)
		return
	}
	if err == nil {
		err = s.cfg.Store.DeleteItem(r.Context(), it.ID)
	}
	if err != nil && !errors.Is(err, errNotFound) {
		s.log.Error("source: unable to delete a reply", "err", err)
		s.showProblem(w, r, http.StatusInternalServerError, probServer)
		return
	}
	sess.setFlash(&flash{Deleted: true})
	http.Redirect(w, r, "/history", http.StatusSeeOther)
}
