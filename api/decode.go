package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/strictjson"
)

// maxBody bounds a request body. A message of 2000 characters of 4 bytes
// each, JSON-escaped, fits comfortably.
const maxBody = 64 << 10

// decodeJSON reads exactly one JSON object into v, strictly: no unknown,
// duplicate or differently-cased fields, valid UTF-8 and no escaped lone
// surrogate (see package strictjson).
//
// The whole body must arrive within the server's body timeout: a client
// trickling it byte by byte would otherwise hold its connection (and a
// handler) forever.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	_, err := s.decodeJSONBody(w, r, v)
	return err
}

// decodeJSONBody is decodeJSON that also returns the body's bytes (for an
// idempotency key's fingerprint).
func (s *Server) decodeJSONBody(w http.ResponseWriter, r *http.Request, v any) ([]byte, error) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.bodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	// Clear it: net/http goes on reading the connection in the background
	// once the body is done (to see the client leave), and a deadline
	// there would cancel the request.
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, parley.Errorf(parley.ETooLarge, "request body is over %d bytes", maxBody)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Close the connection after the answer rather than wait for
			// the rest of the body.
			w.Header().Set("Connection", "close")
			return nil, parley.Errorf(parley.ETimeout, "request body was not sent in time: send the whole body at once")
		}
		return nil, parley.Errorf(parley.EInvalid, "reading request body: %v", err)
	}
	return body, strictjson.Decode(body, v, "request body")
}

// requireJSON refuses state-changing requests that are not JSON. Together
// with CrossOriginProtection this is the CSRF defence: an HTML form cannot
// send application/json, and a script on another origin cannot send it
// without a CORS preflight that Parley refuses.
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodDelete {
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if mt != "application/json" && !(r.Method == http.MethodDelete && r.ContentLength == 0) {
				writeCodeStatus(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
					"send the request body as JSON with Content-Type: application/json")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
