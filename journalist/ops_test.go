package journalist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

func TestRetentionDeletesExactlyTheStaleSources(t *testing.T) {
	e := newEnv(t)
	today := start
	ages := map[string]int{} // source id → days since last activity
	for _, age := range []int{400, 366, 365, 10, 0} {
		e.clock.Set(today.AddDate(0, 0, -age))
		src, _ := e.addSource()
		e.addItem(src.ID, "report")
		ages[src.ID] = age
	}
	// A source created long ago but active recently stays.
	e.clock.Set(today.AddDate(0, 0, -1000))
	old, _ := e.addSource()
	e.clock.Set(today.AddDate(0, 0, -3))
	if err := e.st.TouchSource(e.ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	ages[old.ID] = 3
	e.clock.Set(today)

	set := store.DefaultSettings
	set.RetentionDays = 0
	e.st.SaveSettings(e.ctx, set)
	if n, err := e.srv.RunRetention(e.ctx); err != nil || n != 0 {
		t.Fatalf("retention 0 (never) deleted %d: %v", n, err)
	}

	set.RetentionDays = 365
	e.st.SaveSettings(e.ctx, set)
	n, err := e.srv.RunRetention(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("deleted %d sources, want 2", n)
	}
	for id, age := range ages {
		_, err := e.st.Source(e.ctx, id)
		gone := err != nil
		if gone != (age > 365) {
			t.Errorf("source inactive for %d days: deleted=%v", age, gone)
		}
		if gone {
			if its, _ := e.st.Items(e.ctx, id); len(its) != 0 {
				t.Errorf("items of a deleted source remain")
			}
		}
	}
	// Running again the same day deletes nothing more.
	if n, _ := e.srv.RunRetention(e.ctx); n != 0 {
		t.Fatalf("second run deleted %d", n)
	}
	audit, _ := e.st.AuditLog(e.ctx, 1)
	if len(audit) != 1 || audit[0].Actor != "system" || !strings.Contains(audit[0].Detail, "sources=2") {
		t.Fatalf("retention not audited: %+v", audit)
	}
}

func TestOnlineReplyAndStatus(t *testing.T) {
	e := newEnv(t)
	// A second active submission key: online replies go to every active key.
	sub2, _ := crypto.GenerateSubmissionKey("Second Unit", crypto.ProfileGnuPG)
	e.st.AddSubmissionKey(e.ctx, sub2.Fingerprint(), sub2.Public().Bytes())
	c := e.reviewer("alice", false)
	tok := e.token(c)
	src, srcKey := e.addSource()

	resp, out := e.apiCall("POST", "/api/v1/sources/"+src.ID+"/reply", tok, map[string]string{"text": "Thank you, we read it."})
	if resp.StatusCode != 201 {
		t.Fatalf("online reply: %d %s", resp.StatusCode, out)
	}
	var it apiItem
	json.Unmarshal(out, &it)
	rc, _, err := e.st.OpenItem(e.ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := io.ReadAll(rc)
	rc.Close()
	if bytes.Contains(ct, []byte("Thank you")) {
		t.Fatal("reply stored in clear")
	}
	for _, k := range []*crypto.PrivateKey{srcKey, e.sub, sub2} {
		if pt, err := crypto.DecryptBytes(ct, k); err != nil || string(pt) != "Thank you, we read it." {
			t.Fatalf("reply does not decrypt with %s: %v", k.Fingerprint(), err)
		}
		if !slices.Contains(it.Fingerprints, k.Fingerprint()) {
			t.Fatalf("fingerprint %s not recorded", k.Fingerprint())
		}
	}

	resp, out = e.apiCall("POST", "/api/v1/sources/"+src.ID+"/status", tok, map[string]string{"status": store.StatusReferred, "note": "Passed to the inspectorate."})
	if resp.StatusCode != 200 {
		t.Fatalf("status: %d %s", resp.StatusCode, out)
	}
	got, _ := e.st.Source(e.ctx, src.ID)
	if got.Status != store.StatusReferred {
		t.Fatalf("status %q", got.Status)
	}
	if pt, err := crypto.DecryptBytes(got.StatusNote, srcKey); err != nil || string(pt) != "Passed to the inspectorate." {
		t.Fatalf("note does not decrypt for the source: %v", err)
	}
	resp, out = e.apiCall("POST", "/api/v1/sources/"+src.ID+"/status", tok, map[string]string{"status": "closed — whatever"})
	if resp.StatusCode != 400 || errCode(t, out) != "bad_status" {
		t.Fatalf("bad status: %d %s", resp.StatusCode, out)
	}
	// A status without a note clears the note.
	e.apiCall("POST", "/api/v1/sources/"+src.ID+"/status", tok, map[string]string{"status": store.StatusInReview})
	if got, _ := e.st.Source(e.ctx, src.ID); got.Status != store.StatusInReview || got.StatusNote != nil {
		t.Fatalf("status without note: %q %d", got.Status, len(got.StatusNote))
	}

	// The web page labels online replies as less private.
	cl := e.client()
	e.loginWeb(cl, c)
	if b := body(t, e.get(cl, "/sources/"+src.ID)); !strings.Contains(b, "less private") {
		t.Fatal("source page does not label online replies as less private")
	}
	resp = e.postForm(cl, "/sources/"+src.ID+"/reply", url.Values{"text": {"second reply"}})
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("web reply: %d", resp.StatusCode)
	}

	// Turned off by the admin setting: refused, nothing stored.
	set, _ := e.st.Settings(e.ctx)
	set.OnlineRepliesAllowed = false
	e.st.SaveSettings(e.ctx, set)
	before := e.snapshot()
	resp, out = e.apiCall("POST", "/api/v1/sources/"+src.ID+"/reply", tok, map[string]string{"text": "third"})
	if resp.StatusCode != 403 || errCode(t, out) != "online_replies_disabled" {
		t.Fatalf("online reply when disabled: %d %s", resp.StatusCode, out)
	}
	resp, out = e.apiCall("POST", "/api/v1/sources/"+src.ID+"/status", tok, map[string]string{"status": store.StatusNoCase, "note": "typed online"})
	if resp.StatusCode != 403 {
		t.Fatalf("online note when disabled: %d %s", resp.StatusCode, out)
	}
	resp = e.postForm(cl, "/sources/"+src.ID+"/reply", url.Values{"text": {"web third"}})
	body(t, resp)
	if resp.StatusCode != 403 {
		t.Fatalf("web reply when disabled: %d", resp.StatusCode)
	}
	if e.snapshot() != before {
		t.Fatal("a refused online reply changed something")
	}
	if b := body(t, e.get(cl, "/sources/"+src.ID)); strings.Contains(b, `action="/sources/`+src.ID+`/reply"`) {
		t.Fatal("reply form shown while online replies are off")
	}
}

func TestSourcesListAndDeletion(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	tok := e.token(c)
	s1, _ := e.addSource()
	s2, _ := e.addSource()
	i1 := e.addItem(s1.ID, "one")
	e.addItem(s1.ID, "two")
	e.addItem(s2.ID, "three")

	_, out := e.apiCall("GET", "/api/v1/sources", tok, nil)
	var list struct{ Sources []apiSource }
	json.Unmarshal(out, &list)
	if len(list.Sources) != 2 {
		t.Fatalf("%d sources listed", len(list.Sources))
	}
	for _, s := range list.Sources {
		want := map[string]int{s1.ID: 2, s2.ID: 1}[s.ID]
		if s.ItemCount != want || s.NewCount != want || s.LastActiveDay != "2026-03-10" || s.Status != store.StatusReceived {
			t.Fatalf("source entry %+v", s)
		}
	}
	cl := e.client()
	e.loginWeb(cl, c)
	page := body(t, e.get(cl, "/"))
	for _, want := range []string{s1.Designation, s2.Designation, "2 new", "2026-03-10", store.StatusReceived} {
		if !strings.Contains(page, want) {
			t.Fatalf("sources page lacks %q", want)
		}
	}
	sp := body(t, e.get(cl, "/sources/"+s1.ID))
	for _, want := range []string{s1.Designation, "/items/" + i1.ID, "<strong>new</strong>", store.StatusReferred} {
		if !strings.Contains(html.UnescapeString(sp), want) {
			t.Fatalf("source page lacks %q", want)
		}
	}
	if resp := e.get(cl, "/replies"); resp.StatusCode != 200 || !strings.Contains(body(t, resp), `enctype="multipart/form-data"`) {
		t.Fatal("upload page")
	}
	resp, _ := e.apiCall("POST", "/api/v1/sources/"+s1.ID+"/star", tok, map[string]bool{"starred": true})
	if got, _ := e.st.Source(e.ctx, s1.ID); resp.StatusCode != 204 || !got.Starred {
		t.Fatal("star not set")
	}

	if resp, _ := e.apiCall("DELETE", "/api/v1/items/"+i1.ID, tok, nil); resp.StatusCode != 204 {
		t.Fatalf("delete item: %d", resp.StatusCode)
	}
	if _, err := e.st.Item(e.ctx, i1.ID); err == nil {
		t.Fatal("item not deleted")
	}
	if resp, _ := e.apiCall("DELETE", "/api/v1/sources/"+s1.ID+"/items", tok, nil); resp.StatusCode != 204 {
		t.Fatalf("delete source items: %d", resp.StatusCode)
	}
	if its, _ := e.st.Items(e.ctx, s1.ID); len(its) != 0 {
		t.Fatal("items remain")
	}
	if _, err := e.st.Source(e.ctx, s1.ID); err != nil {
		t.Fatal("deleting a source's items deleted the source")
	}
	resp = e.postForm(cl, "/sources/"+s2.ID+"/delete", nil)
	body(t, resp)
	if _, err := e.st.Source(e.ctx, s2.ID); resp.StatusCode != 400 || err != nil {
		t.Fatalf("unconfirmed web delete: %d %v", resp.StatusCode, err)
	}
	resp = e.postForm(cl, "/sources/"+s2.ID+"/delete", url.Values{"confirm": {"yes"}})
	body(t, resp)
	if _, err := e.st.Source(e.ctx, s2.ID); resp.StatusCode != http.StatusSeeOther || err == nil {
		t.Fatalf("web delete source: %d %v", resp.StatusCode, err)
	}
	if resp, out := e.apiCall("DELETE", "/api/v1/sources/"+s2.ID, tok, nil); resp.StatusCode != 404 || errCode(t, out) != "not_found" {
		t.Fatalf("deleting a deleted source: %d %s", resp.StatusCode, out)
	}
}

func TestAdminFunctions(t *testing.T) {
	e := newEnv(t)
	admin := e.reviewer("admin", true)
	cl := e.client()
	e.loginWeb(cl, admin)

	// Add a reviewer: the credentials are shown once, and they work.
	resp := e.postForm(cl, "/admin/reviewers", url.Values{"username": {"carol"}})
	page := body(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(page, "Shown once") {
		t.Fatalf("add reviewer: %d", resp.StatusCode)
	}
	carol, _ := e.st.ReviewerByName(e.ctx, "carol")
	if carol == nil || carol.Admin || carol.ClientAuthPublic == "" {
		t.Fatalf("reviewer row %+v", carol)
	}
	if !strings.Contains(page, carol.TOTPSecret) {
		t.Fatal("TOTP secret not shown")
	}
	// Grant admin, then reset through the API.
	resp = e.postForm(cl, fmt.Sprintf("/admin/reviewers/%d/admin", carol.ID), url.Values{"admin": {"1"}})
	body(t, resp)
	if c2, _ := e.st.ReviewerByName(e.ctx, "carol"); !c2.Admin {
		t.Fatal("admin not granted")
	}
	tok := e.token(admin)
	resp, out := e.apiCall("POST", fmt.Sprintf("/api/v1/reviewers/%d/reset", carol.ID), tok, nil)
	var cr Credentials
	json.Unmarshal(out, &cr)
	if c2, _ := e.st.ReviewerByName(e.ctx, "carol"); resp.StatusCode != 200 || c2.TOTPSecret != cr.TOTPSecret || c2.TOTPSecret == carol.TOTPSecret {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	e.loginWeb(e.client(), &cr)
	resp, out = e.apiCall("POST", "/api/v1/reviewers", tok, map[string]any{"username": "carol"})
	if resp.StatusCode != 409 || errCode(t, out) != "username_taken" {
		t.Fatalf("duplicate: %d %s", resp.StatusCode, out)
	}

	// Settings.
	resp, out = e.apiCall("POST", "/api/v1/settings", tok, map[string]any{"retention_days": 30, "online_replies_allowed": false})
	set, _ := e.st.Settings(e.ctx)
	if resp.StatusCode != 200 || set.RetentionDays != 30 || set.OnlineRepliesAllowed || set.OrganisationName != store.DefaultSettings.OrganisationName {
		t.Fatalf("settings: %d %s %+v", resp.StatusCode, out, set)
	}
	resp = e.postForm(cl, "/admin/settings", url.Values{"organisation_name": {"Unit B"}, "uploads_allowed": {"1"},
		"max_upload_bytes": {"1000"}, "min_first_message_chars": {"20"}, "retention_days": {"0"}})
	body(t, resp)
	set, _ = e.st.Settings(e.ctx)
	if resp.StatusCode != http.StatusSeeOther || set.OrganisationName != "Unit B" || set.MaxUploadBytes != 1000 || set.RetentionDays != 0 || set.OnlineRepliesAllowed {
		t.Fatalf("web settings: %d %+v", resp.StatusCode, set)
	}

	// Submission keys: add a second, retire the first; the last one cannot go.
	k2, _ := crypto.GenerateSubmissionKey("Second", crypto.ProfileGnuPG)
	resp = e.postForm(cl, "/admin/submission-keys", url.Values{"key": {k2.Public().Armored()}})
	body(t, resp)
	if active, _ := e.st.SubmissionKeys(e.ctx, true); resp.StatusCode != http.StatusSeeOther || len(active) != 2 {
		t.Fatalf("add key: %d, %d active", resp.StatusCode, len(active))
	}
	if resp, _ := e.apiCall("POST", "/api/v1/submission-keys/"+e.sub.Fingerprint()+"/retire", tok, nil); resp.StatusCode != 204 {
		t.Fatalf("retire: %d", resp.StatusCode)
	}
	resp, out = e.apiCall("POST", "/api/v1/submission-keys/"+k2.Fingerprint()+"/retire", tok, nil)
	if resp.StatusCode != 409 || errCode(t, out) != "last_key" {
		t.Fatalf("retiring the last key: %d %s", resp.StatusCode, out)
	}
	resp, out = e.apiCall("POST", "/api/v1/submission-keys", tok, map[string]string{"public_key": "not a key"})
	if resp.StatusCode != 400 || errCode(t, out) != "bad_key" {
		t.Fatalf("bad key: %d %s", resp.StatusCode, out)
	}

	// The only admin can be neither demoted nor removed.
	adminRow, _ := e.st.ReviewerByName(e.ctx, "admin")
	if err := e.srv.SetAdmin(e.ctx, "test", carol.ID, false); err != nil {
		t.Fatal(err)
	}
	resp, out = e.apiCall("POST", fmt.Sprintf("/api/v1/reviewers/%d/admin", adminRow.ID), tok, map[string]bool{"admin": false})
	if resp.StatusCode != 409 || errCode(t, out) != "last_admin" {
		t.Fatalf("demoting the only admin: %d %s", resp.StatusCode, out)
	}
	resp, out = e.apiCall("DELETE", fmt.Sprintf("/api/v1/reviewers/%d", adminRow.ID), tok, nil)
	if resp.StatusCode != 409 || errCode(t, out) != "last_admin" {
		t.Fatalf("removing the only admin: %d %s", resp.StatusCode, out)
	}

	// Remove.
	if resp, _ := e.apiCall("DELETE", fmt.Sprintf("/api/v1/reviewers/%d", carol.ID), tok, nil); resp.StatusCode != 204 {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if _, err := e.st.ReviewerByName(e.ctx, "carol"); err == nil {
		t.Fatal("reviewer not removed")
	}
	// Every admin action is in the audit log, by whom, on which day.
	audit, _ := e.st.AuditLog(e.ctx, 0)
	var actions []string
	for _, a := range audit {
		if a.Actor == "admin" && a.Day == e.clock.Now().Format("2006-01-02") {
			actions = append(actions, a.Action)
		}
	}
	for _, want := range []string{"reviewer added", "reviewer admin role set", "reviewer passphrase and TOTP reset", "settings changed", "submission key added", "submission key retired", "reviewer removed"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %q (has %v)", want, actions)
		}
	}
}

// TestAuditLogNamesNoSourceContent runs every action that touches a
// source and checks that the audit log holds none of the source's
// designation, ids, report text, replies or notes.
func TestAuditLogNamesNoSourceContent(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", true)
	tok := e.token(c)
	key := e.pinReviewKey()
	src, srcKey := e.addSource()
	other, _ := e.addSource()
	it := e.addItem(src.ID, "Sergeant X took a bribe at the depot")
	e.addItem(other.ID, "another report")
	secrets := []string{src.Designation, other.Designation, src.ID, other.ID, it.ID, "Sergeant", "bribe", "online reply text", "offline reply text", "note text"}

	e.apiCall("POST", "/api/v1/export", tok, nil)
	e.apiCall("POST", "/api/v1/sources/"+src.ID+"/reply", tok, map[string]string{"text": "online reply text"})
	e.apiCall("POST", "/api/v1/sources/"+src.ID+"/status", tok, map[string]string{"status": store.StatusReferred, "note": "note text"})
	rid := newID(t)
	secrets = append(secrets, rid)
	b := e.replyBundle(key, []testReply{{rid, src.ID, e.encryptTo("offline reply text", srcKey.Public(), e.sub.Public())}}, nil)
	if resp, out := e.apiCall("POST", "/api/v1/replies", tok, b); resp.StatusCode != 200 {
		t.Fatalf("apply: %s", out)
	}
	e.apiCall("DELETE", "/api/v1/items/"+it.ID, tok, nil)
	e.apiCall("DELETE", "/api/v1/sources/"+src.ID+"/items", tok, nil)
	e.apiCall("DELETE", "/api/v1/sources/"+src.ID, tok, nil)
	set := store.DefaultSettings
	set.RetentionDays = 1
	e.st.SaveSettings(e.ctx, set)
	e.clock.Advance(72 * time.Hour)
	if n, _ := e.srv.RunRetention(e.ctx); n != 1 {
		t.Fatalf("retention deleted %d", n)
	}

	audit, _ := e.st.AuditLog(e.ctx, 0)
	if len(audit) < 6 {
		t.Fatalf("only %d audit entries", len(audit))
	}
	for _, a := range audit {
		line := strings.ToLower(a.Day + " " + a.Actor + " " + a.Action + " " + a.Detail)
		for _, s := range secrets {
			if strings.Contains(line, strings.ToLower(s)) {
				t.Errorf("audit entry %q names source content %q", line, s)
			}
		}
		if len(a.Day) != len("2006-01-02") {
			t.Errorf("audit day %q is not a day", a.Day)
		}
	}
}
