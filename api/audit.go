package api

import (
	"net/http"

	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/authn"
)

// audited records an administrative action (kick, room deletion, ...)
// once it is answered: ok for a 2xx answer, refused for other 4xx. (401
// and 403 answers are recorded as access refusals by Errors.Write.)
func (s *Server) audited(action string, h http.HandlerFunc) http.HandlerFunc {
	if s.auditLog == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h(sw, r)
		outcome := audit.OK
		switch {
		case sw.status == http.StatusUnauthorized || sw.status == http.StatusForbidden:
			return
		case sw.status >= 400:
			outcome = audit.Refused
		}
		s.auditLog.Record(r.Context(), audit.Event{
			Action: action, Outcome: outcome, Actor: authn.From(r.Context()).Name,
			Target: r.URL.Path, Addr: clientAddr(r).String(),
		})
	}
}

// statusWriter remembers the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
