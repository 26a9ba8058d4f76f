package journalist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// adminState is everything an admin function can change.
type adminState struct {
	Reviewers string
	Keys      string
	Settings  string
	Audit     int
}

func (e *env) adminState() adminState {
	e.t.Helper()
	revs, err := e.st.Reviewers(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	keys, _ := e.st.SubmissionKeys(e.ctx, false)
	set, _ := e.st.Settings(e.ctx)
	audit, _ := e.st.AuditLog(e.ctx, 0)
	j := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	return adminState{j(revs), j(keys), j(set), len(audit)}
}

// TestNonAdminCannotUseAdminFunctions tries every admin page and every
// admin API route as a signed-in non-admin, aimed at another account (the
// SecureDrop 2024 2FA-reset IDOR class), and checks that each is refused
// and that nothing changed.
func TestNonAdminCannotUseAdminFunctions(t *testing.T) {
	e := newEnv(t)
	admin := e.reviewer("admin", true)
	user := e.reviewer("user", false)
	adminRow, _ := e.st.ReviewerByName(e.ctx, "admin")
	userRow, _ := e.st.ReviewerByName(e.ctx, "user")
	cl := e.client()
	e.loginWeb(cl, user)
	tok := e.token(user)
	before := e.adminState()

	fill := func(pattern string, id int64) (method, path string) {
		method, path, _ = strings.Cut(pattern, " ")
		path = strings.ReplaceAll(path, "{id}", fmt.Sprint(id))
		path = strings.ReplaceAll(path, "{fpr}", e.sub.Fingerprint())
		return method, path
	}
	form := url.Values{"username": {"intruder"}, "admin": {"1"}, "key": {"x"}, "organisation_name": {"Pwned"},
		"max_upload_bytes": {"1"}, "min_first_message_chars": {"0"}, "retention_days": {"1"}}
	jsonBody, _ := json.Marshal(map[string]any{"username": "intruder", "admin": true, "public_key": "x", "organisation_name": "Pwned"})

	// Aim at the admin's account and at the caller's own (self-escalation).
	for _, target := range []int64{adminRow.ID, userRow.ID} {
		for _, r := range e.srv.adminRoutes() {
			method, path := fill(r.pattern, target)
			var resp *http.Response
			if method == "GET" {
				resp = e.get(cl, path)
			} else {
				resp = e.postForm(cl, path, form)
			}
			body(t, resp)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("non-admin %s %s: status %d, want 403", method, path, resp.StatusCode)
			}
		}
		for _, r := range e.srv.adminAPIRoutes() {
			method, path := fill(r.pattern, target)
			var b any
			if method != "GET" && method != "DELETE" {
				b = jsonBody
			}
			resp, out := e.apiCall(method, path, tok, b)
			if resp.StatusCode != http.StatusForbidden || errCode(t, out) != "forbidden" {
				t.Errorf("non-admin API %s %s: status %d %s, want 403 forbidden", method, path, resp.StatusCode, out)
			}
		}
	}
	if after := e.adminState(); !reflect.DeepEqual(before, after) {
		t.Fatalf("a non-admin changed admin state:\nbefore %+v\nafter  %+v", before, after)
	}

	// The same routes work for an admin (so the test above can fail).
	acl := e.client()
	e.loginWeb(acl, admin)
	if resp := e.get(acl, "/admin"); resp.StatusCode != 200 {
		t.Fatalf("admin page refused to an admin: %d", resp.StatusCode)
	}
	atok := e.token(admin)
	resp, out := e.apiCall("POST", fmt.Sprintf("/api/v1/reviewers/%d/reset", userRow.ID), atok, []byte("{}"))
	if resp.StatusCode != 200 || !bytes.Contains(out, []byte("totp_secret")) {
		t.Fatalf("admin reset via API: %d %s", resp.StatusCode, out)
	}
	// Withdrawing the admin role takes effect on the next request.
	e.reviewer("admin2", true) // the only admin cannot be demoted
	if err := e.srv.SetAdmin(e.ctx, "test", adminRow.ID, false); err != nil {
		t.Fatal(err)
	}
	if resp := e.get(acl, "/admin"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("admin page still open after the role was withdrawn: %d", resp.StatusCode)
	}
	if resp, _ := e.apiCall("GET", "/api/v1/reviewers", atok, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("admin API still open after the role was withdrawn: %d", resp.StatusCode)
	}
}

func TestUnauthenticatedRefused(t *testing.T) {
	e := newEnv(t)
	src, _ := e.addSource()
	it := e.addItem(src.ID, "report")
	routes := append(e.srv.reviewerRoutes(), e.srv.adminRoutes()...)
	for _, r := range routes {
		method, path, _ := strings.Cut(r.pattern, " ")
		path = strings.NewReplacer("{$}", "", "{id}", it.ID, "{fpr}", e.sub.Fingerprint()).Replace(path)
		if strings.HasPrefix(path, "/sources/") {
			path = strings.Replace(path, it.ID, src.ID, 1)
		}
		req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(""))
		resp, err := e.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body(t, resp)
		if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without a session: %d", method, path, resp.StatusCode)
		}
	}
	for _, r := range append(e.srv.apiRoutes(), e.srv.adminAPIRoutes()...) {
		method, path, _ := strings.Cut(r.pattern, " ")
		path = strings.NewReplacer("{id}", src.ID, "{fpr}", e.sub.Fingerprint()).Replace(path)
		resp, out := e.apiCall(method, path, "", nil)
		if resp.StatusCode != 401 || errCode(t, out) != "unauthorized" {
			t.Errorf("API %s %s without a token: %d %s", method, path, resp.StatusCode, out)
		}
	}
	if got, err := e.st.Items(e.ctx, src.ID); err != nil || len(got) != 1 {
		t.Fatalf("items changed: %v %v", got, err)
	}
}
