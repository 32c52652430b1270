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
	by map[string]owned // by poll session ID
}

// owned is a session's presence and who it belongs to: a poll naming
// someone else's session ID never moves that person's presence.
type owned struct {
	s    stream.Session
	name string
	kind parley.IdentityKind
}

func (o owned) ownedBy(id parley.Identity) bool { return o.name == id.Name && o.kind == id.Kind }

// poll records a poll of session sid by id over rooms.
func (t *present) poll(sid string, id parley.Identity, rooms []string) {
	if t == nil || t.p == nil || id.Name == "" {
		return
	}
	t.mu.Lock()
	o, ok := t.by[sid]
	t.mu.Unlock()
	if ok {
		if o.ownedBy(id) {
			o.s.Move(rooms)
		}
		return
	}
	s := t.p.Enter(id, rooms)
	if s == nil {
		return
	}
	t.mu.Lock()
	if old, dup := t.by[sid]; dup { // a concurrent first poll got there first
		t.mu.Unlock()
		s.Leave()
		if old.ownedBy(id) {
			old.s.Move(rooms)
		}
		return
	}
	t.by[sid] = owned{s: s, name: id.Name, kind: id.Kind}
	t.mu.Unlock()
}

// gone ends the presence of session sid.
func (t *present) gone(sid string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	o, ok := t.by[sid]
	delete(t.by, sid)
	t.mu.Unlock()
	if ok {
		o.s.Leave()
	}
}

// SessionGone must be called when a poll session lapses or ends (the
// session registry's OnGone): the session's user leaves its rooms.
func (h *Handler) SessionGone(sid string) { h.presence.gone(sid) }
