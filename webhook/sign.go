package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Request headers of every webhook request.
const (
	// HeaderSignature is "t=<unix seconds>,v1=<hex HMAC-SHA256>": see Sign.
	HeaderSignature = "Parley-Signature"
	// HeaderID repeats the payload ID, to dedupe on before parsing the body.
	HeaderID = "Parley-Webhook-Id"
	// HeaderAttempt is the attempt number: 1, then 2 on the first retry...
	HeaderAttempt = "Parley-Attempt"
)

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify. Each says what is wrong; none reveals the expected
// signature.
var (
	ErrMalformedSignature = errors.New("webhook: the " + HeaderSignature + " header is missing or malformed: expected t=<unix seconds>,v1=<hex>")
	ErrSignatureMismatch  = errors.New("webhook: the signature does not match the body: the secret is wrong or the body was changed")
	ErrSignatureExpired   = errors.New("webhook: the signature's timestamp is outside the tolerance: an old request replayed, or clocks too far apart")
	ErrNoSecret           = errors.New("webhook: no secret to verify the signature with")
)

// Sign returns the Parley-Signature header for body sent at t:
//
//	t=<t in unix seconds>,v1=<lowercase hex of HMAC-SHA256(secret, "<t>.<body>")>
//
// The scheme is Stripe's: the timestamp is signed along with the body, so
// a captured request cannot be replayed once it is older than the
// receiver's tolerance. The sender signs every attempt anew, with the time
// of that attempt.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a Parley-Signature header against the raw request body (as
// received, before any JSON decoding) and the receiver's clock. It returns
// nil when some v1 signature in the header is the HMAC of the timestamp
// and body under secret, compared in constant time, and the timestamp is
// within tolerance of now, in either direction; tolerance <= 0 means
// DefaultTolerance. Otherwise it returns one of ErrMalformedSignature,
// ErrSignatureMismatch, ErrSignatureExpired or ErrNoSecret.
//
// Several v1 entries are allowed, so that a sender can sign with an old
// and a new secret while a secret is being rotated; other keys are ignored
// for future schemes. A receiver should also dedupe on the payload ID:
// within the tolerance, a request can be replayed or retried.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformedSignature
		}
		switch k {
		case "t":
			if ts != "" {
				return ErrMalformedSignature
			}
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrMalformedSignature
	}
	want := mac(secret, ts, body)
	match := false
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			match = true
		}
	}
	if !match {
		return ErrSignatureMismatch
	}
	// Compare in seconds: the header has no finer resolution. Bounds, not
	// a difference, so that a huge t cannot overflow.
	tol := int64(tolerance / time.Second)
	if n := now.Unix(); unix < n-tol || unix > n+tol {
		return ErrSignatureExpired
	}
	return nil
}
