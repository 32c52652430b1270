package poll

import (
	"net/http"
	"strconv"
	"time"
)

// rawResponse is an http.ResponseWriter that keeps a complete answer, so
// that a poll held without net/http (raw.go) is answered by the same code
// as any other (answer, writeJSONPError, the API's error writer) and
// written on the hijacked connection as net/http would have written it.
type rawResponse struct {
	header http.Header // the response's own: the middleware's headers are in it
	status int
	body   []byte
}

func (w *rawResponse) Header() http.Header { return w.header }

func (w *rawResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *rawResponse) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, b...)
	return len(b), nil
}

// appendTo appends the answer as net/http's HTTP/1.1 server writes a
// handler's complete answer: the status line, the header sorted by name
// (Header.WriteSubset, as net/http), then what net/http adds itself, in
// its order: Date, Content-Length (when the handler set none; net/http
// does so for a body written at once), Content-Type (sniffed when the
// handler set none) and, when the connection closes after this answer,
// Connection: close. The answers written here are a poll's 200 and the
// API's small error bodies; the cases net/http treats differently
// (chunked bodies over 2 KiB without a length, HEAD, 1xx, 204, 304,
// Transfer-Encoding) are never written here.
func (w *rawResponse) appendTo(b []byte, now time.Time, closing bool) []byte {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	if text := http.StatusText(status); text != "" {
		b = append(b, ' ')
		b = append(b, text...)
	} else {
		b = append(b, " status code "...)
		b = strconv.AppendInt(b, int64(status), 10)
	}
	b = append(b, "\r\n"...)
	if closing {
		w.header.Del("Connection")
	}
	ab := appender{b}
	_ = w.header.WriteSubset(&ab, nil)
	b = ab.b
	if _, ok := w.header["Date"]; !ok {
		b = append(b, "Date: "...)
		b = now.UTC().AppendFormat(b, http.TimeFormat)
		b = append(b, "\r\n"...)
	}
	if _, ok := w.header["Content-Length"]; !ok {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(w.body)), 10)
		b = append(b, "\r\n"...)
	}
	if _, ok := w.header["Content-Type"]; !ok && len(w.body) > 0 && w.header.Get("Content-Encoding") == "" {
		b = append(b, "Content-Type: "...)
		b = append(b, http.DetectContentType(w.body)...)
		b = append(b, "\r\n"...)
	}
	if closing {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, w.body...)
}

// appender is an io.Writer (and io.StringWriter, which Header.WriteSubset
// prefers) appending to a slice.
type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

func (a *appender) WriteString(s string) (int, error) {
	a.b = append(a.b, s...)
	return len(s), nil
}
