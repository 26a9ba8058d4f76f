package source

import (
	"net/http"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.landing)
	mux.HandleFunc("GET /new", s.newCodename)
	mux.HandleFunc("POST /new", s.startReport)
	mux.HandleFunc("GET /report", s.reportForm)
	mux.HandleFunc("POST /report", s.submit)
	mux.HandleFunc("GET /sent", s.sent)
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /history", s.history)
	mux.HandleFunc("POST /replies/{id}/delete", s.deleteReply)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /logout", s.logoutPage)
	mux.Handle("GET /static/", keepNoStore(http.StripPrefix("/static/", http.FileServerFS(s.static))))
	mux.HandleFunc("/", s.notFound)

	var h http.Handler = mux
	h = s.originCheck(h)
	h = s.hostCheck(h)
	h = methodFilter(h)
	h = securityHeaders(h)
	return h
}

// keepNoStore puts Cache-Control back on the static file server's error
// answers (missing file, bad range): net/http deletes it before writing them.
func keepNoStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(noStoreWriter{w}, r)
	})
}

type noStoreWriter struct{ http.ResponseWriter }

func (w noStoreWriter) WriteHeader(code int) {
	w.Header().Set("Cache-Control", "no-store")
	w.ResponseWriter.WriteHeader(code)
}
