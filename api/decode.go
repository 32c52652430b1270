package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley"
)

// maxBody bounds a request body. A message of 2000 characters of 4 bytes
// each, JSON-escaped, fits comfortably.
const maxBody = 64 << 10

// decodeJSON reads exactly one JSON object with no unknown fields into v.
// The body must be valid UTF-8: encoding/json would otherwise replace bad
// bytes with U+FFFD and store something the client never sent.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return parley.Errorf(parley.ETooLarge, "request body is over %d bytes", maxBody)
		}
		return parley.Errorf(parley.EInvalid, "reading request body: %v", err)
	}
	if !utf8.Valid(body) {
		return parley.Errorf(parley.EInvalid, "request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return parley.Errorf(parley.EInvalid, "request body is empty: send a JSON object")
		case errors.As(err, &syntax):
			return parley.Errorf(parley.EInvalid, "request body is not valid JSON (at byte %d)", syntax.Offset)
		case errors.As(err, &typ):
			return parley.Errorf(parley.EInvalid, "field %q must be a %s", typ.Field, typ.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return parley.Errorf(parley.EInvalid, "request body has an %s", strings.TrimPrefix(err.Error(), "json: "))
		default:
			return parley.Errorf(parley.EInvalid, "request body is not valid JSON: %v", err)
		}
	}
	if dec.More() {
		return parley.Errorf(parley.EInvalid, "request body holds more than one JSON value: send one object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return parley.Errorf(parley.EInvalid, "request body has data after the JSON object")
	}
	return nil
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
