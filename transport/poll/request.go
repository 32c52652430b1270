package poll

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/session"
	"github.com/parley-chat/parley/stream"
)

// request is a parsed poll.
type request struct {
	rooms     []string
	cursor    int64
	hasCursor bool
	last      int           // context messages wanted when there is no cursor
	timeout   time.Duration // how long to hold the poll; 0 answers at once
	session   string        // "" for a new session
	callback  string        // JSONP function, "" for JSON
}

// parse reads the query. Unknown parameters (such as the "_=" cache
// buster some JSONP libraries add) are ignored.
func (h *Handler) parse(ctx context.Context, q url.Values) (request, error) {
	var req request
	var err error
	if req.cursor, req.hasCursor, err = parley.ParseCursor(q.Get("cursor")); err != nil {
		return req, err
	}
	if req.last, err = stream.ParseLast(q.Get("last")); err != nil {
		return req, err
	}
	if req.timeout, err = parseTimeout(q.Get("timeout"), h.cfg.Timeout, h.cfg.MaxTimeout); err != nil {
		return req, err
	}
	if s := q.Get("session"); s != "" {
		if !session.ValidID(s) {
			return req, parley.Errorf(parley.EInvalid, "session=%.40q is not a session ID: send the session value of the last answer, or none for a new session", s)
		}
		req.session = s
	}
	// Rooms last: checking them reads the store.
	if req.rooms, err = stream.ParseRooms(ctx, h.rooms, q.Get("rooms")); err != nil {
		return req, err
	}
	if req.rooms, _, err = stream.AddWatched(req.rooms, q.Get("watch")); err != nil {
		return req, err
	}
	return req, nil
}

// parseTimeout parses a number of seconds with at most three decimals
// ("25", "0.5", "0.05"); the empty string means def. Exponents, signs,
// hexadecimal and the like are refused rather than guessed at.
func parseTimeout(s string, def, max time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	bad := func() error {
		return parley.Errorf(parley.EInvalid, "timeout=%.24q is not a number of seconds: use a number from 0 to %s, such as timeout=25 or timeout=0.5", s, seconds(max))
	}
	intPart, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i+1:]
			break
		}
	}
	if len(intPart) == 0 || len(intPart) > 6 || len(frac) > 3 || (len(frac) == 0 && len(intPart) < len(s)) {
		return 0, bad()
	}
	whole, err := strconv.ParseUint(intPart, 10, 32)
	if err != nil {
		return 0, bad()
	}
	ms := int64(whole) * 1000
	if frac != "" {
		f, err := strconv.ParseUint(frac, 10, 16)
		if err != nil {
			return 0, bad()
		}
		for range 3 - len(frac) {
			f *= 10
		}
		ms += int64(f)
	}
	d := time.Duration(ms) * time.Millisecond
	if d > max {
		return 0, parley.Errorf(parley.EInvalid, "timeout=%s is longer than this server allows: ask for at most %s seconds", s, seconds(max))
	}
	return d, nil
}

// seconds formats d as a plain number of seconds: "60", "0.5".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}
