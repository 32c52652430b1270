package server

import (
	"context"
	"sync"
	"time"

	"github.com/parley-chat/parley/chat"
)

// lookalikeTTL is how long the skeletons of account names are kept before
// they are read again. An account made since is still found by its exact
// name at once; only its lookalikes wait.
const lookalikeTTL = 30 * time.Second

// lookalikes finds the account whose name looks like a given one (same
// TR39 skeleton, chat.NameSkeleton), so that a guest cannot pass for it.
// It keeps every account's skeleton in memory, read from the store at
// most once per lookalikeTTL.
type lookalikes struct {
	store NodeStore
	now   func() time.Time

	mu     sync.Mutex
	byName map[string]string // skeleton -> account name
	read   time.Time
}

// account returns the account that name looks like, "" if none.
func (l *lookalikes) account(ctx context.Context, name string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := l.now(); l.byName == nil || now.Sub(l.read) > lookalikeTTL {
		users, err := l.store.Users(ctx)
		if err != nil {
			return "", err
		}
		l.byName = make(map[string]string, len(users))
		for _, u := range users {
			l.byName[chat.NameSkeleton(u.Name)] = u.Name
		}
		l.read = now
	}
	return l.byName[chat.NameSkeleton(name)], nil
}
