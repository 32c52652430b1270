package bench

import (
	"bufio"
	"bytes"
	"io"
	"net/http/httputil"
	"strings"
	"testing"
	"testing/iotest"
)

type sseGot struct {
	kind  sseKind
	event string
	data  string
	id    string
	idSet bool
	retry int64
}

// readAllSSE reads frames until the end of the stream.
func readAllSSE(t *testing.T, r *sseReader) ([]sseGot, error) {
	t.Helper()
	var got []sseGot
	for {
		k, err := r.Next()
		if err != nil {
			return got, err
		}
		g := sseGot{kind: k, retry: r.Retry}
		if k == sseEvent {
			g.event, g.data, g.id, g.idSet = string(r.Event), string(r.Data), string(r.LastID), r.IDSeen
		}
		got = append(got, g)
	}
}

const sseSample = "retry: 2000\n\n" +
	": ping\n" +
	"id: 41\r\n" +
	"event: message\r\n" +
	"data: {\"id\":41}\r\n" +
	"\r\n" +
	"data: first line\n" +
	"data:second line\n" +
	"data\n" +
	"unknown: field\n" +
	"\n" +
	"event: only-an-event\n" +
	"\n" +
	":comment without space\n" +
	"id: 42\n" +
	"retry: soon\n" +
	"retry: 500\n" +
	"data: x\n" +
	"\n" +
	"data: incomplete at EOF"

var sseWant = []sseGot{
	{kind: sseRetry, retry: 2000},
	{kind: sseEvent, event: "message", data: `{"id":41}`, id: "41", idSet: true, retry: 2000},
	{kind: sseEvent, data: "first line\nsecond line\n", id: "41", retry: 2000}, // id persists, but not set by this event
	{kind: sseRetry, retry: 500},
	{kind: sseEvent, data: "x", id: "42", idSet: true, retry: 500},
}

func checkSSE(t *testing.T, r *sseReader) {
	t.Helper()
	got, err := readAllSSE(t, r)
	if err != io.ErrUnexpectedEOF {
		t.Errorf("final error = %v, want io.ErrUnexpectedEOF (stream ends inside a line)", err)
	}
	if len(got) != len(sseWant) {
		t.Fatalf("got %d frames, want %d:\n%+v", len(got), len(sseWant), got)
	}
	for i := range got {
		if got[i] != sseWant[i] {
			t.Errorf("frame %d:\n got %+v\nwant %+v", i, got[i], sseWant[i])
		}
	}
	if r.Comments != 2 {
		t.Errorf("Comments = %d, want 2", r.Comments)
	}
}

func TestSSEReaderRaw(t *testing.T) {
	// One byte at a time, through the smallest bufio buffer: every line
	// is split across reads.
	br := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(sseSample)), 16)
	checkSSE(t, newSSEReader(br))
}

func TestSSEReaderChunked(t *testing.T) {
	// Encode the stream in chunks of awkward sizes, then decode it.
	for _, size := range []int{1, 3, 7, 64, len(sseSample)} {
		var enc bytes.Buffer
		cw := httputil.NewChunkedWriter(&enc)
		for s := sseSample; len(s) > 0; {
			n := min(size, len(s))
			cw.Write([]byte(s[:n]))
			s = s[n:]
		}
		// End of the stream inside a line: no last chunk.
		conn := bufio.NewReaderSize(&enc, 16)
		br := bufio.NewReaderSize(newChunkedReader(conn), 16)
		checkSSE(t, newSSEReader(br))
	}
}

func TestSSEReaderLongLine(t *testing.T) {
	long := strings.Repeat("x", 1000)
	in := "data: " + long + "\nid: 7\n\ndata: short\n\n"
	r := newSSEReader(bufio.NewReaderSize(strings.NewReader(in), 16))
	got, err := readAllSSE(t, r)
	if err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	if len(got) != 2 || got[0].data != long || got[0].id != "7" || got[1].data != "short" {
		t.Fatalf("got %+v", got)
	}
}

func TestSSEReaderNoAllocs(t *testing.T) {
	frame := "id: 123\nevent: message\ndata: {\"id\":123,\"text\":\"bench 1 2\"}\n\n: ping\n\n"
	src := &repeatReader{s: frame}
	r := newSSEReader(bufio.NewReaderSize(src, 1024))
	for range 10 { // warm up the reused buffers
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if k, err := r.Next(); err != nil || k != sseEvent {
			t.Fatal(k, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per event, want 0", allocs)
	}
}

// repeatReader yields s forever.
type repeatReader struct {
	s string
	i int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.i:])
		n += c
		r.i = (r.i + c) % len(r.s)
	}
	return n, nil
}

func TestReadResponseHead(t *testing.T) {
	for _, tc := range []struct {
		in      string
		status  int
		chunked bool
		cl      int64
		body    string
	}{
		{"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200, true, -1, "hello"},
		{"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nConnection: close\r\n\r\nraw to the end", 200, false, -1, "raw to the end"},
		{"HTTP/1.0 503 Service Unavailable\nContent-Length: 4\n\nbodyextra", 503, false, 4, "body"},
	} {
		br := bufio.NewReaderSize(strings.NewReader(tc.in), 64)
		h, err := readResponseHead(br)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if h.status != tc.status || h.chunked != tc.chunked || h.contentLength != tc.cl {
			t.Errorf("%q: got %+v", tc.in, h)
		}
		b, err := io.ReadAll(h.body(br))
		if err != nil || string(b) != tc.body {
			t.Errorf("%q: body %q, %v; want %q", tc.in, b, err, tc.body)
		}
	}
	for _, bad := range []string{"", "HTTP/1.1 2x0 OK\r\n\r\n", "SSH-2.0-OpenSSH\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\n"} {
		if _, err := readResponseHead(bufio.NewReaderSize(strings.NewReader(bad), 64)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestHTTPStatusError(t *testing.T) {
	err := httpStatusError(429, strings.NewReader(`{"error":{"code":"rate_limited","message":"slow down"}}`))
	if got := errClass(err); got != "HTTP 429 rate_limited" {
		t.Errorf("errClass = %q", got)
	}
	if got := errClass(httpStatusError(502, strings.NewReader("<html>"))); got != "HTTP 502" {
		t.Errorf("errClass = %q", got)
	}
}
