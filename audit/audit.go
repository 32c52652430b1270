// Package audit records what an operator must be able to answer for
// later: logins and their failures, lockouts, refusals by access rules,
// revocations and administrative actions. Each record is one structured
// log line (log/slog, message "audit", attribute audit=true, so that a log
// pipeline can route them apart) and is counted by action and outcome.
//
// Records never carry secrets: no passwords, tokens, keys, cookies or
// message text; only names, actions, outcomes, addresses and reasons.
package audit

import (
	"context"
	"log/slog"
	"sort"
	"sync"
)

// Outcomes.
const (
	OK      = "ok"
	Failed  = "failed"  // wrong credentials
	Refused = "refused" // not allowed, or limited
)

// Event is one audited action.
type Event struct {
	Action  string // "login", "logout", "lockout", "access", "revoke", "kick", "room.delete", ...
	Outcome string // OK, Failed or Refused
	Actor   string // who acted (a user or key label), "" when unknown
	Target  string // what it was done to (a room, a user), "" when none
	Addr    string // the client's address, when known
	Reason  string // why, for failures and refusals
}

// Log writes and counts audit records. A nil *Log does nothing, so that
// components can hold one unconditionally.
type Log struct {
	log *slog.Logger

	mu     sync.Mutex
	counts map[Key]uint64
}

// Key is what records are counted by.
type Key struct{ Action, Outcome string }

// New returns a Log writing to l.
func New(l *slog.Logger) *Log {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Log{log: l, counts: make(map[Key]uint64)}
}

// Record writes and counts e.
func (a *Log) Record(ctx context.Context, e Event) {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.counts[Key{e.Action, e.Outcome}]++
	a.mu.Unlock()
	attrs := []slog.Attr{slog.Bool("audit", true), slog.String("action", e.Action), slog.String("outcome", e.Outcome)}
	for _, kv := range [...]struct{ k, v string }{{"actor", e.Actor}, {"target", e.Target}, {"addr", e.Addr}, {"reason", e.Reason}} {
		if kv.v != "" {
			attrs = append(attrs, slog.String(kv.k, kv.v))
		}
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
}

// Counts returns how many records of each action and outcome were made,
// ordered by action then outcome, for metrics.
func (a *Log) Counts() []Count {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	out := make([]Count, 0, len(a.counts))
	for k, n := range a.counts {
		out = append(out, Count{k, n})
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Action != out[j].Action {
			return out[i].Action < out[j].Action
		}
		return out[i].Outcome < out[j].Outcome
	})
	return out
}

// Count is the number of records of one action and outcome.
type Count struct {
	Key
	N uint64
}
