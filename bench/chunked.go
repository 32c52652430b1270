package bench

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

var errChunkFormat = errors.New("chunked: malformed chunk framing")

// chunkedReader decodes an HTTP/1.1 "Transfer-Encoding: chunked" body read
// from br. It never blocks once it has chunk data to return: the CRLF that
// ends a chunk is consumed by the following Read, so an event that fills a
// chunk is handed on as soon as its bytes arrive. Chunk extensions are
// ignored; trailers are read and discarded.
type chunkedReader struct {
	br   *bufio.Reader
	n    int64 // bytes left in the current chunk
	crlf bool  // the current chunk's data is done; its CRLF is still unread
	err  error // sticky
}

func newChunkedReader(br *bufio.Reader) *chunkedReader { return &chunkedReader{br: br} }

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for c.n == 0 {
		if c.crlf {
			if err := c.readCRLF(); err != nil {
				c.err = err
				return 0, err
			}
			c.crlf = false
		}
		line, err := readCRLFLine(c.br)
		if err != nil {
			c.err = eofIsUnexpected(err)
			return 0, c.err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, ok := parseHex(bytes.TrimSpace(line))
		if !ok {
			c.err = errChunkFormat
			return 0, c.err
		}
		if size == 0 {
			// Last chunk: skip trailers up to the blank line.
			for {
				line, err := readCRLFLine(c.br)
				if err != nil {
					c.err = eofIsUnexpected(err)
					return 0, c.err
				}
				if len(line) == 0 {
					break
				}
			}
			c.err = io.EOF
			return 0, io.EOF
		}
		c.n = size
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.br.Read(p)
	c.n -= int64(n)
	if c.n == 0 {
		c.crlf = true
	}
	if err != nil {
		c.err = eofIsUnexpected(err)
		if n > 0 {
			return n, nil // report the error on the next call
		}
	}
	return n, c.err
}

func (c *chunkedReader) readCRLF() error {
	b, err := c.br.ReadByte()
	if err == nil && b == '\r' {
		b, err = c.br.ReadByte()
	}
	if err != nil {
		return eofIsUnexpected(err)
	}
	if b != '\n' {
		return errChunkFormat
	}
	return nil
}

// readCRLFLine reads one line of protocol text (a status line, header or
// chunk size) and returns it without "\r\n" or "\n". The slice is valid
// until the next read. A line that does not fit the buffer is an error.
func readCRLFLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, errors.New("http: protocol line longer than the read buffer")
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseHex parses a chunk size: 1 to 15 hex digits.
func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | int64(c)
	}
	return n, true
}
