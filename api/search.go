package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/transcript"
)

// searchTimeout bounds one search. A query whose words match much of a
// large log (a lone two-letter prefix over a million lines takes about a
// second) is stopped rather than allowed to tie up a reader connection.
const searchTimeout = 3 * time.Second

// exportWriteTimeout cuts off a transcript download whose client takes
// longer than this to accept one page.
const exportWriteTimeout = 30 * time.Second

// routeSearch adds search, transcripts, retention and message deletion.
func (s *Server) routeSearch() {
	s.mux.HandleFunc("GET /api/search", s.search)
	s.mux.HandleFunc("GET /api/rooms/{room}/transcript", s.transcript)
	s.mux.HandleFunc("GET /api/rooms/{room}/retention", s.retention)
	s.mux.HandleFunc("PUT /api/rooms/{room}/retention", s.audited("room.retention", s.setRetention))
	s.mux.HandleFunc("DELETE /api/messages/{id}", s.audited("message.delete", s.deleteMessage))
}

// search answers GET /api/search?q=...&room=&from=&since=&until=&limit=&cursor=.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq := parley.SearchQuery{Text: q.Get("q"), From: q.Get("from"), Cursor: q.Get("cursor")}
	if strings.TrimSpace(sq.Text) == "" {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, "give the words to search for in the q parameter"))
		return
	}
	var err error
	if sq.Since, err = queryTime(q.Get("since"), "since"); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if sq.Until, err = queryTime(q.Get("until"), "until"); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if !sq.Since.IsZero() && !sq.Until.IsZero() && !sq.Since.Before(sq.Until) {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, "since must be before until"))
		return
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > parley.MaxSearchLimit {
			s.errs.Write(w, r, parley.Errorf(parley.EInvalid, "limit %.24q is not allowed: use a number from 1 to %d", l, parley.MaxSearchLimit))
			return
		}
		sq.Limit = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), searchTimeout)
	defer cancel()
	page, err := s.chat.Search(ctx, authn.From(r.Context()), q.Get("room"), sq)
	if errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil {
		err = parley.Errorf(parley.EUnavailable, "the search took too long: add words, use longer prefixes, or name a room or a time range")
	}
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	writeJSONStatus(w, http.StatusOK, page)
}

// queryTime parses an RFC 3339 time parameter; "" is the zero time.
func queryTime(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, parley.Errorf(parley.EInvalid, "%s %.40q is not a time: use RFC 3339, such as 2026-11-21T09:00:00Z", name, v)
	}
	return t, nil
}

// transcript streams GET /api/rooms/{room}/transcript?format=&since=&until=
// as a download.
func (s *Server) transcript(w http.ResponseWriter, r *http.Request) {
	room := r.PathValue("room")
	if err := s.chat.CanRead(r.Context(), authn.From(r.Context()), room); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	q := r.URL.Query()
	format, err := transcript.ParseFormat(q.Get("format"))
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	opt := transcript.Options{Room: room, Format: format, Generated: time.Now()}
	if opt.Since, err = queryTime(q.Get("since"), "since"); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if opt.Until, err = queryTime(q.Get("until"), "until"); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if !opt.Since.IsZero() && !opt.Until.IsZero() && !opt.Since.Before(opt.Until) {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, "since must be before until"))
		return
	}
	rc := http.NewResponseController(w)
	opt.Flush = func() error {
		_ = rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout))
		return rc.Flush()
	}
	h := w.Header()
	h.Set("Content-Type", format.ContentType())
	h.Set("Content-Disposition", transcript.ContentDisposition(transcript.Filename(room, opt.Since, opt.Until, format)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	if format == transcript.HTML {
		h.Set("Content-Security-Policy", transcript.CSP)
	}
	if r.Method == http.MethodHead {
		return // the headers tell what a GET would download
	}
	_ = rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout))
	tw := &trackWriter{w: w}
	if _, err := transcript.Write(r.Context(), tw, s.chat.Store(), opt); err != nil {
		if !tw.wrote {
			for _, k := range []string{"Content-Disposition", "Content-Security-Policy"} {
				h.Del(k)
			}
			s.errs.Write(w, r, err)
			return
		}
		if r.Context().Err() == nil && !errors.Is(err, io.ErrClosedPipe) {
			s.log.Warn("transcript cut short", "room", room, "err", err)
		}
		// The status is sent: break the connection, so the client sees a
		// failed download rather than a short file that looks complete.
		panic(http.ErrAbortHandler)
	}
}

// trackWriter notes whether anything was written.
type trackWriter struct {
	w     io.Writer
	wrote bool
}

func (t *trackWriter) Write(p []byte) (int, error) {
	t.wrote = true
	return t.w.Write(p)
}

// retention answers GET /api/rooms/{room}/retention.
func (s *Server) retention(w http.ResponseWriter, r *http.Request) {
	ret, err := s.chat.Retention(r.Context(), authn.From(r.Context()), r.PathValue("room"))
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusOK, ret)
}

// setRetention answers PUT /api/rooms/{room}/retention with {"days": N},
// {"messages": N} or {} (keep forever).
func (s *Server) setRetention(w http.ResponseWriter, r *http.Request) {
	var body parley.Retention
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if err := s.chat.SetRetention(r.Context(), authn.From(r.Context()), r.PathValue("room"), body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusOK, body)
}

// deleteMessage answers DELETE /api/messages/{id} with the stored entry of
// kind "delete" that records the deletion.
func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request) {
	id, err := messageID(r)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	m, err := s.chat.DeleteMessage(r.Context(), authn.From(r.Context()), id)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusOK, m)
}
