package poll

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/parley-chat/parley"
)

// answer writes {"events":[...],"cursor":N,"session":"SID"}, wrapped for
// JSONP when the poll has a callback. Each event's JSON is the event's
// own encode-once bytes: nothing is marshalled per poller.
func (h *Handler) answer(w http.ResponseWriter, req request, sid string, events []*parley.Event, cursor int64) {
	bp := bufPool.Get().(*[]byte)
	body := appendAnswer((*bp)[:0], events, cursor, sid)
	var out []byte
	if req.callback == "" {
		body = append(body, '\n')
		out = body
	} else {
		// A second buffer: rare enough not to pool.
		out = appendJSONP(make([]byte, 0, len(body)+len(req.callback)+8), req.callback, body)
	}
	if err := writeBody(w, req.callback, out, h.cfg.WriteTimeout); err != nil {
		// The client went away or stopped reading; it resumes from the
		// cursor it has.
		h.log.Debug("poll answer not written", "err", err)
	}
	if cap(body) <= maxPooled {
		*bp = body
		bufPool.Put(bp)
	}
}

// maxPooled bounds the buffers kept for reuse; a full batch of long
// messages is allocated afresh.
const maxPooled = 64 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func appendAnswer(b []byte, events []*parley.Event, cursor int64, sid string) []byte {
	b = append(b, `{"events":[`...)
	for i, ev := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, ev.JSON()...)
	}
	b = append(b, `],"cursor":`...)
	b = strconv.AppendInt(b, cursor, 10)
	b = append(b, `,"session":"`...)
	b = append(b, sid...) // base64url: nothing to escape
	return append(b, `"}`...)
}

var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	jsContentType   = []string{"application/javascript; charset=utf-8"}
	nosniff         = []string{"nosniff"}
	noStore         = []string{"no-store"}
)

// writeBody writes a complete 200 answer: JSON, or JavaScript for a
// JSONP callback. A writeTimeout > 0 bounds the write.
func writeBody(w http.ResponseWriter, callback string, body []byte, writeTimeout time.Duration) error {
	// Shared, never modified value slices: one allocation less per
	// header on a path taken once per delivery.
	hdr := w.Header()
	if callback != "" {
		hdr["Content-Type"] = jsContentType
	} else {
		hdr["Content-Type"] = jsonContentType
	}
	hdr["X-Content-Type-Options"] = nosniff
	hdr["Cache-Control"] = noStore
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	if writeTimeout > 0 {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(writeTimeout))
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}
