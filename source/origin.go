package source

import (
	"net/http"
)

// strictCookie is a constant, session-only, SameSite=Strict cookie set on
// every page. Browsers never send it with a request started by another
// site, so its presence proves a POST came from our own pages.
const strictCookie = "samesite"

// originCheck refuses cross-origin POSTs. http.CrossOriginProtection
// decides first (Sec-Fetch-Site, else Origin against Host). One case needs
// more: a browser that sends no Fetch Metadata to this origin (Sec-Fetch-*
// go only to "potentially trustworthy" origins, and a plain-HTTP onion is
// one only in Tor Browser) sends "Origin: null" for our own forms, because
// our Referrer-Policy is no-referrer. Such a POST is accepted only if it
// carries the SameSite=Strict cookie, which no other site can make the
// browser send.
func (s *Server) originCheck(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if _, err := r.Cookie(strictCookie); err != nil {
				http.SetCookie(w, &http.Cookie{Name: strictCookie, Value: "1", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			}
			next.ServeHTTP(w, r)
			return
		}
		if err := cop.Check(r); err == nil {
			next.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Origin") == "null" {
			if c, err := r.Cookie(strictCookie); err == nil && c.Value == "1" {
				next.ServeHTTP(w, r)
				return
			}
		}
		s.crossOrigin(w, r)
	})
}
