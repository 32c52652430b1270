package poll

import (
	"sync"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/stream"
)

// present tracks the presence of named poll sessions: a session is present
// from its first poll until its lease lapses or it is ended, so a
// long-poller that never comes back counts as gone after the lease.
type present struct {
	p  stream.Presence
	mu sync.Mutex
	by map[string]stream.Session // by poll session ID
}

// poll records a poll of session sid by id over rooms.
func (t *present) poll(sid string, id parley.Identity, rooms []string) {
	if t == nil || t.p == nil || id.Name == "" {
		return
	}
	t.mu.Lock()
	s, ok := t.by[sid]
	t.mu.Unlock()
	if ok {
		s.Move(rooms)
		return
	}
	s = t.p.Enter(id, rooms)
	if s == nil {
		return
	}
	t.mu.Lock()
	if old, dup := t.by[sid]; dup { // a concurrent first poll got there first
		t.mu.Unlock()
		s.Leave()
		old.Move(rooms)
		return
	}
	t.by[sid] = s
	t.mu.Unlock()
}

// gone ends the presence of session sid.
func (t *present) gone(sid string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	s, ok := t.by[sid]
	delete(t.by, sid)
	t.mu.Unlock()
	if ok {
		s.Leave()
	}
}

// SessionGone must be called when a poll session lapses or ends (the
// session registry's OnGone): the session's user leaves its rooms.
func (h *Handler) SessionGone(sid string) { h.presence.gone(sid) }
