package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignFormat(t *testing.T) {
	at := time.Unix(1_790_000_000, 123)
	body := []byte(`{"id":"msg-1"}`)
	got := Sign(testSecret, at, body)

	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte("1790000000." + string(body)))
	want := "t=1790000000,v1=" + hex.EncodeToString(m.Sum(nil))
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	at := time.Unix(1_790_000_000, 0)
	body := []byte(`{"id":"msg-1","type":"message"}`)
	header := Sign(testSecret, at, body)
	sig := strings.TrimPrefix(header, "t=1790000000,")
	other := []byte("another-secret-of-enough-length")

	tests := []struct {
		name      string
		secret    []byte
		header    string
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"valid", testSecret, header, body, at, time.Minute, nil},
		{"valid, receiver clock ahead", testSecret, header, body, at.Add(59 * time.Second), time.Minute, nil},
		{"valid, receiver clock behind", testSecret, header, body, at.Add(-59 * time.Second), time.Minute, nil},
		{"spaces after commas", testSecret, "t=1790000000, " + sig, body, at, 0, nil},
		{"rotation: one of two v1 matches", testSecret, header + ",v1=" + strings.Repeat("ab", 32), body, at, 0, nil},
		{"rotation: other order", testSecret, "t=1790000000,v1=" + strings.Repeat("ab", 32) + "," + sig, body, at, 0, nil},
		{"unknown scheme ignored", testSecret, header + ",v0=zz", body, at, 0, nil},

		{"tampered body", testSecret, header, []byte(`{"id":"msg-1","type":"join"}`), at, 0, ErrSignatureMismatch},
		{"empty body", testSecret, header, nil, at, 0, ErrSignatureMismatch},
		{"wrong secret", other, header, body, at, 0, ErrSignatureMismatch},
		{"timestamp changed", testSecret, "t=1790000001," + sig, body, at, 0, ErrSignatureMismatch},
		{"signature not hex", testSecret, "t=1790000000,v1=xyz", body, at, 0, ErrSignatureMismatch},
		{"signature truncated", testSecret, header[:len(header)-2], body, at, 0, ErrSignatureMismatch},
		{"upper-case hex", testSecret, "t=1790000000,v1=" + strings.ToUpper(strings.TrimPrefix(sig, "v1=")), body, at, 0, nil},

		{"old timestamp", testSecret, header, body, at.Add(61 * time.Second), time.Minute, ErrSignatureExpired},
		{"future timestamp", testSecret, header, body, at.Add(-61 * time.Second), time.Minute, ErrSignatureExpired},
		{"default tolerance is 5 min: inside", testSecret, header, body, at.Add(DefaultTolerance), 0, nil},
		{"default tolerance is 5 min: outside", testSecret, header, body, at.Add(DefaultTolerance + time.Second), -1, ErrSignatureExpired},
		{"huge timestamp", testSecret, "t=9223372036854775807," + sig, body, at, 0, ErrSignatureMismatch},

		{"no header", testSecret, "", body, at, 0, ErrMalformedSignature},
		{"no timestamp", testSecret, sig, body, at, 0, ErrMalformedSignature},
		{"no signature", testSecret, "t=1790000000", body, at, 0, ErrMalformedSignature},
		{"two timestamps", testSecret, "t=1790000000," + header, body, at, 0, ErrMalformedSignature},
		{"timestamp not a number", testSecret, "t=soon," + sig, body, at, 0, ErrMalformedSignature},
		{"part without =", testSecret, header + ",junk", body, at, 0, ErrMalformedSignature},

		{"no secret", nil, header, body, at, 0, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, tt.body, tt.now, tt.tolerance)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// An expired signature that also does not match reports the mismatch: the
// timestamp of a forged request says nothing.
func TestVerifyChecksSignatureFirst(t *testing.T) {
	at := time.Unix(1_790_000_000, 0)
	header := Sign(testSecret, at, []byte("a"))
	if err := Verify(testSecret, header, []byte("b"), at.Add(time.Hour), time.Minute); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("Verify = %v, want %v", err, ErrSignatureMismatch)
	}
}
