package api

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/authn"
)

// statusOf maps a domain error code to its HTTP status; this is the one
// place where that mapping lives.
func statusOf(code parley.Code) int {
	switch code {
	case parley.EInvalid:
		return http.StatusBadRequest
	case parley.EUnauthorized:
		return http.StatusUnauthorized
	case parley.EForbidden:
		return http.StatusForbidden
	case parley.ENotFound:
		return http.StatusNotFound
	case parley.EConflict:
		return http.StatusConflict
	case parley.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case parley.ERateLimited:
		return http.StatusTooManyRequests
	case parley.EUnavailable:
		return http.StatusServiceUnavailable
	case parley.ETimeout:
		return http.StatusRequestTimeout
	default:
		return http.StatusInternalServerError
	}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    parley.Code `json:"code"`
	Message string      `json:"message"`
}

// Errors writes error answers in the API's one format and logs the
// internal ones (without the request's query, which may carry secrets).
type Errors struct {
	Log *slog.Logger
	// Audit records every 401 and 403 answer as an access refusal; nil:
	// none.
	Audit *audit.Log
}

// Write answers err.
func (e Errors) Write(w http.ResponseWriter, r *http.Request, err error) {
	code := parley.ErrorCode(err)
	if code == parley.EInternal {
		e.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if code == parley.EUnauthorized || code == parley.EForbidden {
		e.Audit.Record(r.Context(), audit.Event{
			Action: "access", Outcome: audit.Refused, Actor: authn.From(r.Context()).Name,
			Target: r.Method + " " + r.URL.Path, Addr: clientAddr(r).String(), Reason: parley.ErrorMessage(err),
		})
	}
	status := statusOf(code)
	switch code {
	case parley.ERateLimited:
		w.Header().Set("Retry-After", "1")
	case parley.EUnavailable:
		w.Header().Set("Retry-After", "2")
	}
	writeJSONStatus(w, status, errorBody{errorDetail{code, parley.ErrorMessage(err)}})
}

// writeCodeStatus answers with an explicit code and status, for the few
// HTTP-level errors that have no domain code (415, 405).
func writeCodeStatus(w http.ResponseWriter, status int, code parley.Code, msg string) {
	writeJSONStatus(w, status, errorBody{errorDetail{code, msg}})
}

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
