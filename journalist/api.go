package journalist

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/candor-drop/candor/store"
)

// API errors with their stable codes (docs/api.md).
var (
	errAPINotFound     = userError("not_found", 404, "No such resource.", nil)
	errAPIUnauthorized = userError("unauthorized", 401, "A valid \"Authorization: Token …\" header is required; get a token from POST /api/v1/token.", nil)
	errAPIForbidden    = userError("forbidden", 403, "Only an admin can do this.", nil)
	errCrossOrigin     = userError("cross_origin", 403, "Cross-origin request refused.", nil)
	errBadJSON         = userError("bad_request", 400, "The request body is not the JSON this endpoint expects.", nil)
	errLoginAPI        = userError("login_failed", 401, errLoginFailed.Error(), nil)
	errThrottledAPI    = userError("throttled", 429, errThrottled.Error(), nil)
)

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, e *Error) {
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, e.Status, map[string]body{"error": {e.Code, e.Message}})
}

func (s *Server) apiInternal(w http.ResponseWriter, err error) {
	s.log.Error("journalist API request failed", "err", err)
	apiError(w, userError("internal", 500, "Something went wrong on the server.", nil))
}

// apiFail maps an error to a JSON error response.
func (s *Server) apiFail(w http.ResponseWriter, err error) {
	var ue *Error
	switch {
	case errors.As(err, &ue):
		apiError(w, ue)
	case errors.Is(err, store.ErrNotFound):
		apiError(w, errAPINotFound)
	case errors.Is(err, store.ErrDiskFull):
		apiError(w, userError("disk_full", 507, "The server's disk is nearly full; nothing was stored.", nil))
	default:
		s.apiInternal(w, err)
	}
}

// decode reads a JSON body of at most 256 KiB, refusing unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		apiError(w, errBadJSON)
		return false
	}
	return true
}

func (s *Server) apiToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username    string `json:"username"`
		Passphrase  string `json:"passphrase"`
		OneTimeCode string `json:"one_time_code"`
	}
	if !decode(w, r, &req) {
		return
	}
	rv, err := s.authenticate(r.Context(), req.Username, req.Passphrase, req.OneTimeCode)
	switch {
	case errors.Is(err, errThrottled):
		apiError(w, errThrottledAPI)
		return
	case errors.Is(err, errLoginFailed):
		apiError(w, errLoginAPI)
		return
	case err != nil:
		s.apiInternal(w, err)
		return
	}
	tok, exp, err := s.newSession(r.Context(), rv, "api")
	if errors.Is(err, errLoginFailed) {
		apiError(w, errLoginAPI)
		return
	}
	if err != nil {
		s.apiInternal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "expiration": exp.UTC().Format(time.RFC3339), "admin": rv.Admin})
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Token ")
	if err := s.st.DeleteSession(r.Context(), hashToken(strings.TrimSpace(tok))); err != nil {
		s.apiFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	rv := reviewerFrom(r)
	writeJSON(w, http.StatusOK, map[string]any{"username": rv.Username, "admin": rv.Admin})
}

type apiSource struct {
	ID            string `json:"id"`
	Designation   string `json:"designation"`
	ItemCount     int    `json:"item_count"`
	NewCount      int    `json:"new_count"`
	LastActiveDay string `json:"last_active_day"`
	CreatedDay    string `json:"created_day"`
	Status        string `json:"status"`
	StatusDay     string `json:"status_day"`
	Starred       bool   `json:"starred"`
}

func toAPISource(src store.Source) apiSource {
	return apiSource{src.ID, src.Designation, src.ItemCount, src.NewCount, src.LastActiveDay, src.CreatedDay, src.Status, src.StatusDay, src.Starred}
}

type apiItem struct {
	ID           string   `json:"id"`
	SourceID     string   `json:"source_id"`
	Kind         string   `json:"kind"`
	Size         int64    `json:"size"`
	SHA256       string   `json:"sha256"`
	Day          string   `json:"day"`
	Fingerprints []string `json:"fingerprints"`
	Exported     bool     `json:"exported"`
}

func (s *Server) apiSources(w http.ResponseWriter, r *http.Request) {
	srcs, err := s.st.Sources(r.Context())
	if err != nil {
		s.apiFail(w, err)
		return
	}
	out := make([]apiSource, 0, len(srcs))
	for _, src := range srcs {
		out = append(out, toAPISource(src))
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": out})
}

func (s *Server) apiSource(w http.ResponseWriter, r *http.Request) {
	src, err := s.st.Source(r.Context(), r.PathValue("id"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPISource(*src))
}

func (s *Server) apiItems(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	src, err := s.st.Source(ctx, r.PathValue("id"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	its, err := s.st.Items(ctx, src.ID)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	out := make([]apiItem, 0, len(its))
	for _, it := range its {
		out = append(out, apiItem{it.ID, it.SourceID, string(it.Kind), it.Size, it.SHA256, it.Day, it.Fingerprints, it.Exported})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *Server) apiItem(w http.ResponseWriter, r *http.Request) {
	s.serveItem(w, r, func(err error) { s.apiFail(w, err) })
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := s.SetStatus(r.Context(), actor(r), r.PathValue("id"), req.Status, req.Note); err != nil {
		s.apiFail(w, err)
		return
	}
	src, err := s.st.Source(r.Context(), r.PathValue("id"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPISource(*src))
}

func (s *Server) apiStar(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Starred bool `json:"starred"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := s.st.SetStarred(r.Context(), r.PathValue("id"), req.Starred); err != nil {
		s.apiFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiReply(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Text string `json:"text"`
	}
	if !decode(w, r, &req) {
		return
	}
	it, err := s.OnlineReply(r.Context(), actor(r), r.PathValue("id"), req.Text)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiItem{it.ID, it.SourceID, string(it.Kind), it.Size, it.SHA256, it.Day, it.Fingerprints, it.Exported})
}

func (s *Server) apiDeleteSource(w http.ResponseWriter, r *http.Request) {
	if err := s.DeleteSource(r.Context(), actor(r), r.PathValue("id")); err != nil {
		s.apiFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiDeleteSourceItems(w http.ResponseWriter, r *http.Request) {
	if err := s.DeleteSourceItems(r.Context(), actor(r), r.PathValue("id")); err != nil {
		s.apiFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiDeleteItem(w http.ResponseWriter, r *http.Request) {
	if _, err := s.st.Item(r.Context(), r.PathValue("id")); err != nil {
		s.apiFail(w, err)
		return
	}
	if err := s.DeleteItem(r.Context(), actor(r), r.PathValue("id")); err != nil {
		s.apiFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiExport takes an optional JSON body {"items": [...]} or {"all": true};
// an empty body exports every new item.
func (s *Server) apiExport(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Items []string `json:"items"`
		All   bool     `json:"all"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		apiError(w, errBadJSON)
		return
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			apiError(w, errBadJSON)
			return
		}
	}
	s.streamExport(w, r, ExportSelection{ItemIDs: req.Items, All: req.All}, func(err error) { s.apiFail(w, err) })
}

// apiReplies takes a reply bundle as the raw request body.
func (s *Server) apiReplies(w http.ResponseWriter, r *http.Request) {
	res, err := s.ApplyReplies(r.Context(), actor(r), http.MaxBytesReader(w, r.Body, MaxReplyBundleBytes+1))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// Admin API.

type apiReviewer struct {
	ID            int64  `json:"id"`
	Username      string `json:"username"`
	Admin         bool   `json:"admin"`
	CreatedDay    string `json:"created_day"`
	HasClientAuth bool   `json:"has_client_auth"`
}

func (s *Server) apiReviewers(w http.ResponseWriter, r *http.Request) {
	revs, err := s.st.Reviewers(r.Context())
	if err != nil {
		s.apiFail(w, err)
		return
	}
	out := make([]apiReviewer, 0, len(revs))
	for _, rv := range revs {
		out = append(out, apiReviewer{rv.ID, rv.Username, rv.Admin, rv.CreatedDay, rv.ClientAuthPublic != ""})
	}
	writeJSON(w, http.StatusOK, map[string]any{"reviewers": out})
}

func (s *Server) apiAddReviewer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		Admin    bool   `json:"admin"`
	}
	if !decode(w, r, &req) {
		return
	}
	c, err := s.CreateReviewer(r.Context(), actor(r), req.Username, req.Admin)
	if err != nil {
		s.apiFail(w, adminErr(err))
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiRemoveReviewer(w http.ResponseWriter, r *http.Request) {
	id, err := pathReviewerID(r)
	if err == nil {
		err = s.RemoveReviewer(r.Context(), actor(r), id)
	}
	if err != nil {
		s.apiFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiResetReviewer(w http.ResponseWriter, r *http.Request) {
	id, err := pathReviewerID(r)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	c, err := s.ResetReviewer(r.Context(), actor(r), id)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiSetAdmin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Admin bool `json:"admin"`
	}
	if !decode(w, r, &req) {
		return
	}
	id, err := pathReviewerID(r)
	if err == nil {
		err = s.SetAdmin(r.Context(), actor(r), id, req.Admin)
	}
	if err != nil {
		s.apiFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiSubmissionKeys(w http.ResponseWriter, r *http.Request) {
	ks, err := s.st.SubmissionKeys(r.Context(), false)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	type key struct {
		Fingerprint string `json:"fingerprint"`
		Active      bool   `json:"active"`
		AddedDay    string `json:"added_day"`
	}
	out := make([]key, 0, len(ks))
	for _, k := range ks {
		out = append(out, key{k.Fingerprint, k.Active, k.AddedDay})
	}
	writeJSON(w, http.StatusOK, map[string]any{"submission_keys": out})
}

func (s *Server) apiAddSubmissionKey(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PublicKey string `json:"public_key"`
	}
	if !decode(w, r, &req) {
		return
	}
	fpr, err := s.AddSubmissionKey(r.Context(), actor(r), []byte(req.PublicKey))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"fingerprint": fpr})
}

func (s *Server) apiRetireSubmissionKey(w http.ResponseWriter, r *http.Request) {
	if err := s.RetireSubmissionKey(r.Context(), actor(r), r.PathValue("fpr")); err != nil {
		s.apiFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiSettings(w http.ResponseWriter, r *http.Request) {
	set, err := s.st.Settings(r.Context())
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, set)
}

// apiSaveSettings takes a partial settings object: fields left out keep
// their current value.
func (s *Server) apiSaveSettings(w http.ResponseWriter, r *http.Request) {
	set, err := s.st.Settings(r.Context())
	if err != nil {
		s.apiFail(w, err)
		return
	}
	if !decode(w, r, &set) {
		return
	}
	if err := s.SaveSettings(r.Context(), actor(r), set); err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, set)
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	es, err := s.st.AuditLog(r.Context(), 1000)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	type entry struct {
		Day    string `json:"day"`
		Actor  string `json:"actor"`
		Action string `json:"action"`
		Detail string `json:"detail"`
	}
	out := make([]entry, 0, len(es))
	for _, e := range es {
		out = append(out, entry{e.Day, e.Actor, e.Action, e.Detail})
	}
	writeJSON(w, http.StatusOK, map[string]any{"audit": out})
}
