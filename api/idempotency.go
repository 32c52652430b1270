package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/parley-chat/parley"
)

// MaxIdempotencyKey bounds an Idempotency-Key header, in bytes.
const MaxIdempotencyKey = 128

// idempotency reads the request's Idempotency-Key header into the record
// that its first message will carry: the key scoped to the caller (two
// callers may use the same key), and a fingerprint of the request (its
// path and body), so that a key reused for another request is refused.
// It returns nil when the request has no key.
func idempotency(r *http.Request, id parley.Identity, body []byte) (*parley.Idem, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if len(key) > MaxIdempotencyKey {
		return nil, parley.Errorf(parley.EInvalid, "Idempotency-Key is over %d bytes: use a UUID or similar", MaxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return nil, parley.Errorf(parley.EInvalid, "Idempotency-Key must be printable ASCII without spaces: use a UUID or similar")
		}
	}
	scope := id.Kind.String() + ":" + id.Name
	if id.Kind == parley.Guest {
		// Guest names are not unique: the address tells guests apart.
		scope += "@" + clientKey(r)
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	return &parley.Idem{Key: scope + "|" + key, Request: hex.EncodeToString(sum[:16])}, nil
}

// replayed answers a request whose idempotency key was used before: with
// the first answer's messages if it is the same request, with 409 if the
// key was used for another. It reports false (and answers nothing) when
// the key is new.
func (s *Server) replayed(w http.ResponseWriter, r *http.Request, idem *parley.Idem, answer func([]parley.Message) any) bool {
	if idem == nil {
		return false
	}
	store, ok := s.chat.Store().(parley.IdempotencyStore)
	if !ok {
		return false
	}
	prev, msgs, err := store.ByIdempotencyKey(r.Context(), idem.Key)
	switch {
	case parley.ErrorCode(err) == parley.ENotFound:
		return false
	case err != nil:
		s.errs.Write(w, r, err)
	case prev.Request != idem.Request:
		s.errs.Write(w, r, parley.Errorf(parley.EConflict, "this Idempotency-Key was used for a different request: use a new key for a new request"))
	case len(msgs) == 0:
		s.errs.Write(w, r, parley.Errorf(parley.EConflict, "this Idempotency-Key was used for a request whose messages are deleted: use a new key"))
	default:
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSONStatus(w, http.StatusCreated, answer(msgs))
	}
	return true
}
