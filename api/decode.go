package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/strictjson"
)

// maxBody bounds a request body. A message of 2000 characters of 4 bytes
// each, JSON-escaped, fits comfortably.
const maxBody = 64 << 10

// decodeJSON reads exactly one JSON object into v, strictly: no unknown,
// duplicate or differently-cased fields, valid UTF-8 and no escaped lone
// surrogate (see package strictjson).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return parley.Errorf(parley.ETooLarge, "request body is over %d bytes", maxBody)
		}
		return parley.Errorf(parley.EInvalid, "reading request body: %v", err)
	}
	return strictjson.Decode(body, v, "request body")
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
