package ircmsg_test

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/parley-chat/parley/irc/ircmsg"
)

// readAll reads lines until an error other than ErrLineTooLong, recording
// each over-long line as "<too long>".
func readAll(t *testing.T, r *ircmsg.Reader) ([]string, error) {
	t.Helper()
	var lines []string
	for range 1000 {
		line, err := r.ReadLine()
		switch {
		case errors.Is(err, ircmsg.ErrLineTooLong):
			if !errors.Is(err, ircmsg.ErrInputTooLong) {
				t.Fatal("ErrLineTooLong does not wrap ErrInputTooLong")
			}
			lines = append(lines, "<too long>")
		case err != nil:
			return lines, err
		default:
			lines = append(lines, string(line))
		}
	}
	t.Fatal("reader does not end")
	return nil, nil
}

func TestReader(t *testing.T) {
	const limit = 20
	cases := []struct {
		name  string
		input string
		want  []string
	}{
		{"CRLF", "NICK ada\r\nUSER a 0 * :Ada\r\n", []string{"NICK ada", "USER a 0 * :Ada"}},
		{"LF", "NICK ada\nUSER a\n", []string{"NICK ada", "USER a"}},
		{"mixed", "A\r\nB\nC\r\n", []string{"A", "B", "C"}},
		{"empty lines kept", "\r\n\nA\r\n", []string{"", "", "A"}},
		{"bare CR is not an end", "A\rB\r\n", []string{"A\rB"}},
		{"last line without end", "A\r\nB", []string{"A", "B"}},
		{"exactly the limit with CRLF", strings.Repeat("x", limit-2) + "\r\nA\n", []string{strings.Repeat("x", limit-2), "A"}},
		{"exactly the limit with LF", strings.Repeat("x", limit-1) + "\nA\n", []string{strings.Repeat("x", limit-1), "A"}},
		{"one over the limit", strings.Repeat("x", limit-1) + "\r\nA\n", []string{"<too long>", "A"}},
		{"far over the limit", strings.Repeat("x", 10*limit) + "\r\nA\r\n", []string{"<too long>", "A"}},
		{"long lines in a row", strings.Repeat("x", 3*limit) + "\n" + strings.Repeat("y", 2*limit) + "\nA\n", []string{"<too long>", "<too long>", "A"}},
		{"long last line without end", "A\n" + strings.Repeat("x", 3*limit), []string{"A", "<too long>"}},
		{"unterminated, over the limit by one", strings.Repeat("x", limit+1), []string{"<too long>"}},
		{"nothing", "", nil},
	}
	for _, tc := range cases {
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"whole":       func(r io.Reader) io.Reader { return r },
			"byte a time": iotest.OneByteReader,
			"data+EOF":    iotest.DataErrReader,
		} {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				got, err := readAll(t, ircmsg.NewReader(wrap(strings.NewReader(tc.input)), limit))
				if err != io.EOF {
					t.Fatalf("ended with %v, want io.EOF", err)
				}
				if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
					t.Fatalf("lines %q, want %q", got, tc.want)
				}
			})
		}
	}
}

// endless is a client that sends one line forever, counting bytes.
type endless struct{ sent int }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.sent += len(p)
	return len(p), nil
}

func TestReaderEndlessLine(t *testing.T) {
	src := &endless{}
	r := ircmsg.NewReader(src, 0)
	_, err := r.ReadLine()
	if !errors.Is(err, ircmsg.ErrLineTooLong) {
		t.Fatalf("ReadLine = %v, want ErrLineTooLong", err)
	}
	// The error comes once the buffer is full, not at the end of the line.
	if src.sent > ircmsg.MaxLineLen {
		t.Errorf("read %d bytes before failing, want at most %d", src.sent, ircmsg.MaxLineLen)
	}
}

func TestReaderSkipsToNextLineAcrossReads(t *testing.T) {
	// The over-long line keeps coming after the error; the next call
	// discards it, then reads on.
	pr, pw := io.Pipe()
	r := ircmsg.NewReader(pr, 16)
	go func() {
		pw.Write([]byte(strings.Repeat("x", 40)))
		pw.Write([]byte(strings.Repeat("y", 40) + "\r\nPING :a\r\n"))
		pw.Close()
	}()
	if _, err := r.ReadLine(); !errors.Is(err, ircmsg.ErrLineTooLong) {
		t.Fatalf("first ReadLine = %v", err)
	}
	line, err := r.ReadLine()
	if err != nil || string(line) != "PING :a" {
		t.Fatalf("second ReadLine = %q, %v", line, err)
	}
	if _, err := r.ReadLine(); err != io.EOF {
		t.Fatalf("third ReadLine = %v, want io.EOF", err)
	}
}

func TestReaderLimitHoldsOverLargerBufio(t *testing.T) {
	// bufio.NewReaderSize returns a large enough *bufio.Reader as it is;
	// the limit must hold anyway.
	big := bufio.NewReaderSize(strings.NewReader(strings.Repeat("x", 100)+"\nA\n"), 4096)
	got, err := readAll(t, ircmsg.NewReader(big, 50))
	if err != io.EOF || strings.Join(got, "|") != "<too long>|A" {
		t.Fatalf("lines %q, %v", got, err)
	}
}

func TestReaderReturnsReadErrors(t *testing.T) {
	boom := errors.New("boom")
	r := ircmsg.NewReader(io.MultiReader(strings.NewReader("A\r\npartial"), iotest.ErrReader(boom)), 0)
	if line, err := r.ReadLine(); err != nil || string(line) != "A" {
		t.Fatalf("ReadLine = %q, %v", line, err)
	}
	if _, err := r.ReadLine(); err != boom {
		t.Fatalf("ReadLine = %v, want %v", err, boom)
	}
}

func TestReaderThenParse(t *testing.T) {
	in := "@time=2026-11-21T19:20:54.123Z;+x=1 :ada PRIVMSG #lobby :hi there\r\n" +
		strings.Repeat("x", ircmsg.MaxLineLen) + "\r\n" +
		"PING :t\n"
	r := ircmsg.NewReader(strings.NewReader(in), 0)
	var got []string
	for {
		line, err := r.ReadLine()
		if err == io.EOF {
			break
		}
		if errors.Is(err, ircmsg.ErrInputTooLong) {
			got = append(got, ircmsg.ERR_INPUTTOOLONG)
			continue
		}
		m, err := ircmsg.Parse(string(line))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Command)
	}
	if strings.Join(got, " ") != "PRIVMSG 417 PING" {
		t.Fatalf("commands %q", got)
	}
}
