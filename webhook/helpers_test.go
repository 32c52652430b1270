package webhook

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

var testSecret = []byte("0123456789abcdef-test-secret")

// request is one attempt as the receiver saw it.
type request struct {
	id, attempt, signature, contentType string
	body                                []byte
	at                                  time.Time
}

// receiver is a test webhook endpoint. answer decides the response to the
// n-th request (n from 1); nil answers 204. Every request is sent on got
// before it is answered.
type receiver struct {
	answer func(n int, w http.ResponseWriter, r *http.Request)
	got    chan request

	mu sync.Mutex
	n  int
}

func newReceiver(answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	return &receiver{answer: answer, got: make(chan request, 100)}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.n++
	n := rc.n
	rc.mu.Unlock()
	rc.got <- request{
		id:          r.Header.Get(HeaderID),
		attempt:     r.Header.Get(HeaderAttempt),
		signature:   r.Header.Get(HeaderSignature),
		contentType: r.Header.Get("Content-Type"),
		body:        body,
		at:          time.Now(),
	}
	if rc.answer == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rc.answer(n, w, r)
}

// count returns the number of requests so far.
func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.n
}

// next returns the next request, waiting at most an hour of a synctest
// bubble's fake time (longer than any backoff).
func (rc *receiver) next(t *testing.T) request {
	t.Helper()
	return rc.within(t, time.Hour)
}

// within returns the next request, failing the test after d.
func (rc *receiver) within(t *testing.T, d time.Duration) request {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(d):
		t.Fatalf("no webhook request arrived within %v", d)
		return request{}
	}
}

// status answers every request with code.
func status(code int) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// failFirst answers the first n requests with code, then 200.
func failFirst(n, code int) func(int, http.ResponseWriter, *http.Request) {
	return func(i int, w http.ResponseWriter, _ *http.Request) {
		if i > n {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(code)
	}
}

// handlerTransport serves requests in memory, with no network, so that
// the whole exchange runs inside a synctest bubble.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}

// tinyBackoff retries after a millisecond.
func tinyBackoff(int) time.Duration { return time.Millisecond }

// memConfig is a config whose requests go to h in memory.
func memConfig(h http.Handler) Config {
	return Config{
		URL:     "http://receiver.test/hook",
		Secret:  testSecret,
		Backoff: tinyBackoff,
		Client:  &http.Client{Transport: handlerTransport{h}},
	}
}

// start creates a sender and runs it; the returned function closes it and
// returns Run's result.
func start(t *testing.T, cfg Config) (*Sender, func() error) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Run(context.Background()) }()
	return s, func() error {
		s.Close()
		return <-errc
	}
}

// logRecorder is a slog.Handler that keeps records.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

// count returns the number of records at level.
func (l *logRecorder) count(level slog.Level) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.Level == level {
			n++
		}
	}
	return n
}

// text returns every record's message and attributes, one per line.
func (l *logRecorder) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s string
	for _, r := range l.records {
		s += r.Level.String() + " " + r.Message
		r.Attrs(func(a slog.Attr) bool {
			s += " " + a.Key + "=" + a.Value.String()
			return true
		})
		s += "\n"
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
