package server

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/hub"
)

// DefaultRevalidateInterval is how often open connections' credentials
// are checked against the store.
const DefaultRevalidateInterval = 5 * time.Second

// revoker ends open connections whose credentials no longer hold.
//
// Every connection follows the credential topics of its identity
// (parley.Identity.CredentialTopics): its account, its login session, its
// API key, its expiry. A revocation made on this node through the API (a
// logout) disconnects the topic at once. Everything else (a session ended
// or a password changed from the command line or on another node of a
// cluster, an expired token) is found by a sweep that lists the credential
// topics with live connections on this node (hub.Topics) and checks each
// against the shared store, so a revocation reaches every node and every
// transport within one interval, with no message between nodes.
//
// Its goroutine owns nothing but its ticker; stop and done are closed
// once each, by close and by the goroutine.
type revoker struct {
	hub   *hub.Hub
	store NodeStore
	audit *audit.Log
	now   func() time.Time
	stop  chan struct{}
	done  chan struct{}
}

func startRevoker(h *hub.Hub, store NodeStore, interval time.Duration, audit *audit.Log) *revoker {
	if interval <= 0 {
		interval = DefaultRevalidateInterval
	}
	r := &revoker{hub: h, store: store, audit: audit, now: time.Now, stop: make(chan struct{}), done: make(chan struct{})}
	go r.run(interval)
	return r
}

func (r *revoker) run(interval time.Duration) {
	defer close(r.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			r.sweep(ctx)
			cancel()
		}
	}
}

// sweep checks every credential held by an open connection on this node.
// A credential the store cannot be asked about (an outage) is kept: a
// failing store must not log everyone out.
func (r *revoker) sweep(ctx context.Context) {
	now := r.now()
	for _, topic := range r.hub.Topics("@") {
		if reason := r.check(ctx, topic, now); reason != "" {
			r.audit.Record(ctx, audit.Event{Action: "revoke", Outcome: audit.OK, Target: credentialKind(topic), Reason: reason})
			r.hub.Disconnect(topic, reason)
		}
	}
}

// check returns why topic's connections must end, or "".
func (r *revoker) check(ctx context.Context, topic string, now time.Time) string {
	switch {
	case strings.HasPrefix(topic, parley.ExpiryTopicPrefix):
		sec, err := strconv.ParseInt(strings.TrimPrefix(topic, parley.ExpiryTopicPrefix), 10, 64)
		if err == nil && !now.Before(time.Unix(sec, 0)) {
			return "your credentials have expired"
		}
	case strings.HasPrefix(topic, parley.SessionTopicPrefix):
		hash, err := hex.DecodeString(strings.TrimPrefix(topic, parley.SessionTopicPrefix))
		if err != nil {
			return ""
		}
		if _, err := r.store.LoginSessionByHash(ctx, hash, now); parley.ErrorCode(err) == parley.ENotFound {
			return "your login session has ended"
		}
	case strings.HasPrefix(topic, parley.KeyTopicPrefix):
		if _, err := r.store.APIKeyByID(ctx, strings.TrimPrefix(topic, parley.KeyTopicPrefix)); parley.ErrorCode(err) == parley.ENotFound {
			return "the API key was revoked"
		}
	case strings.HasPrefix(topic, parley.PasswordTopicPrefix):
		name, stamp, _ := strings.Cut(strings.TrimPrefix(topic, parley.PasswordTopicPrefix), ":")
		u, hash, err := r.store.UserByName(ctx, name)
		switch {
		case parley.ErrorCode(err) == parley.ENotFound:
			return "the account was removed"
		case err == nil && u.Disabled:
			return "the account was disabled"
		case err == nil && parley.StampPassword(hash) != stamp:
			return "your password was changed"
		}
	case strings.HasPrefix(topic, parley.AccountTopic("")):
		u, _, err := r.store.UserByName(ctx, strings.TrimPrefix(topic, parley.AccountTopic("")))
		switch {
		case parley.ErrorCode(err) == parley.ENotFound:
			return "the account was removed"
		case err == nil && u.Disabled:
			return "the account was disabled"
		}
	}
	return ""
}

// credentialKind names a credential topic's kind for logs, never its
// value.
func credentialKind(topic string) string {
	switch {
	case strings.HasPrefix(topic, parley.ExpiryTopicPrefix):
		return "expiry"
	case strings.HasPrefix(topic, parley.SessionTopicPrefix):
		return "login session"
	case strings.HasPrefix(topic, parley.KeyTopicPrefix):
		return "API key"
	case strings.HasPrefix(topic, parley.PasswordTopicPrefix):
		return "password"
	}
	return "account"
}

// close stops the sweep; a nil revoker does nothing.
func (r *revoker) close() {
	if r == nil {
		return
	}
	close(r.stop)
	<-r.done
}
