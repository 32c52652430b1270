package bench

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net/http/httputil"
	"strings"
	"testing"
	"time"
)

func TestChunkedReaderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		want := make([]byte, rng.IntN(5000))
		for i := range want {
			want[i] = byte(rng.IntN(256))
		}
		var enc bytes.Buffer
		cw := httputil.NewChunkedWriter(&enc)
		for p := want; len(p) > 0; {
			n := min(1+rng.IntN(700), len(p))
			cw.Write(p[:n])
			p = p[n:]
		}
		cw.Close()
		enc.WriteString("\r\n") // end of (empty) trailers
		enc.WriteString("NEXT") // a following response must stay unread
		br := bufio.NewReaderSize(&enc, 16+rng.IntN(100))
		got, err := io.ReadAll(newChunkedReader(br))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("decoded %d bytes, want %d (mismatch)", len(got), len(want))
		}
		if rest, _ := io.ReadAll(br); string(rest) != "NEXT" {
			t.Fatalf("left %q after the body", rest)
		}
	}
}

func TestChunkedReaderExtensionsAndTrailers(t *testing.T) {
	in := "4;name=value\r\nWiki\r\n5\r\npedia\r\nE \r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\nX: y\r\n\r\n"
	got, err := io.ReadAll(newChunkedReader(bufio.NewReader(strings.NewReader(in))))
	if err != nil || string(got) != "Wikipedia in\r\n\r\nchunks." {
		t.Fatalf("got %q, %v", got, err)
	}
	// Bare LF line endings are tolerated, upper-case hex too.
	got, err = io.ReadAll(newChunkedReader(bufio.NewReader(strings.NewReader("A\nabcdefghij\n0\n\n"))))
	if err != nil || string(got) != "abcdefghij" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestChunkedReaderErrors(t *testing.T) {
	for _, in := range []string{
		"",                // no chunk at all
		"zz\r\nabc\r\n",   // bad size
		"5\r\nabc",        // truncated data
		"3\r\nabcXY1\r\n", // no CRLF after data
		"3\r\nabc\r\n",    // no last chunk
		"0\r\nTrailer: 1", // truncated trailers
		"1234567890123456\r\n",
	} {
		_, err := io.ReadAll(newChunkedReader(bufio.NewReader(strings.NewReader(in))))
		if err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// A chunk's data is returned as soon as it is complete, without waiting for
// the CRLF that ends it or for the next chunk: a live event must not be
// held back.
func TestChunkedReaderDoesNotWaitForCRLF(t *testing.T) {
	pr, pw := io.Pipe()
	cr := newChunkedReader(bufio.NewReaderSize(pr, 64))
	go pw.Write([]byte("5\r\nhello"))
	done := make(chan string)
	go func() {
		b := make([]byte, 64)
		n, _ := cr.Read(b)
		done <- string(b[:n])
	}()
	select {
	case got := <-done:
		if got != "hello" {
			t.Fatalf("got %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read blocked waiting for the chunk's CRLF")
	}
	go pw.Write([]byte("\r\n3\r\nabc\r\n0\r\n\r\n"))
	rest, err := io.ReadAll(cr)
	if err != nil || string(rest) != "abc" {
		t.Fatalf("rest %q, %v", rest, err)
	}
}
