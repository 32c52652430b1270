package poll

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawResponse writes what net/http's HTTP/1.1 server writes for the same
// handler: the answers of polls held raw must not differ from the others.
func TestRawResponseMatchesNetHTTP(t *testing.T) {
	cases := []struct {
		name    string
		handler func(w http.ResponseWriter)
	}{
		{"poll answer with a length", func(w http.ResponseWriter) {
			w.Header().Set("Vary", "Origin")
			_ = writeBody(w, "", []byte(`{"events":[],"cursor":1,"session":"s"}`+"\n"), 0)
		}},
		{"JSONP", func(w http.ResponseWriter) {
			w.Header()["Access-Control-Allow-Origin"] = []string{"https://a.example"}
			w.Header().Add("Vary", "Origin")
			w.Header().Add("Vary", "Cookie")
			_ = writeBody(w, "cb", appendJSONP(nil, "cb", []byte(`{"a":1}`)), 0)
		}},
		{"error without a length", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"code":"unauthorized","message":"you logged out: log in again"}}`+"\n")
		}},
		{"no content type", func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, "<html>sniffed</html>")
		}},
		{"unknown status", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(599)
			_, _ = io.WriteString(w, "odd")
		}},
	}
	date := regexp.MustCompile(`\r\nDate: [^\r]*\r\n`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tc.handler(w) }))
			defer ts.Close()
			want := rawGet(t, ts.Listener.Addr().String())

			rw := &rawResponse{header: http.Header{}}
			tc.handler(rw)
			got := rw.appendTo(nil, time.Now(), false)
			norm := func(b []byte) string { return date.ReplaceAllString(string(b), "\r\nDate: D\r\n") }
			if norm(got) != norm(want) {
				t.Fatalf("rawResponse wrote\n%q\nnet/http wrote\n%q", got, want)
			}
		})
	}

	// Closing: net/http's answer during a shutdown ends with Connection: close.
	rw := &rawResponse{header: http.Header{"Connection": {"keep-alive"}}}
	_ = writeBody(rw, "", []byte("{}"), 0)
	got := string(rw.appendTo(nil, time.Now(), true))
	if !strings.HasSuffix(strings.SplitN(got, "\r\n\r\n", 2)[0], "\r\nConnection: close") || strings.Contains(got, "keep-alive") {
		t.Errorf("closing answer:\n%s", got)
	}
}

// rawGet sends one keep-alive GET and returns the answer's exact bytes
// (every answer here has a Content-Length).
func rawGet(t *testing.T, addr string) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var raw []byte
	length := -1
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the head: %v (%q)", err, raw)
		}
		raw = append(raw, line...)
		if line == "\r\n" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if length < 0 {
		t.Fatalf("no Content-Length in %q", raw)
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(br, body); err != nil {
		t.Fatal(err)
	}
	return append(raw, body...)
}
