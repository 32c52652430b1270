package chat

import (
	"errors"
	"time"

	"github.com/parley-chat/parley"
)

// Observer is told what the service accepts, refuses and commits, for
// metrics. Its methods are called on the posting and committer paths and
// must be cheap and safe for concurrent use.
type Observer interface {
	// Accepted counts messages posted and committed: chat lines, direct
	// messages, published messages and notices.
	Accepted(messages int)
	// Refused counts a post refused before storage, by reason: one of
	// the Refused* constants.
	Refused(reason string)
	// Committed is told of each commit: how many messages (joins, leaves
	// and notices too) one transaction stored, and how long it took.
	Committed(messages int, took time.Duration)
	// StoreFailed counts a commit the store failed.
	StoreFailed()
}

// Reasons a post is refused, for Observer.Refused.
const (
	RefusedValidation = "validation" // empty, too long, invalid UTF-8, a bad name, an unknown room
	RefusedFilter     = "filter"     // a word the filter rejects
	RefusedRateLimit  = "rate_limit" // over the client's rate
	RefusedAccess     = "access"     // not logged in, not a member, not allowed
	RefusedOther      = "other"      // anything else (an idempotency key reused, the store down)
)

type nopObserver struct{}

func (nopObserver) Accepted(int)                 {}
func (nopObserver) Refused(string)               {}
func (nopObserver) Committed(int, time.Duration) {}
func (nopObserver) StoreFailed()                 {}

// filtered marks the word filter's refusal, to tell it from other invalid
// text when counting.
type filtered struct{ error }

func (f filtered) Unwrap() error { return f.error }

// refusalReason classifies why a post was refused.
func refusalReason(err error) string {
	if errors.As(err, new(filtered)) {
		return RefusedFilter
	}
	switch parley.ErrorCode(err) {
	case parley.EInvalid, parley.ENotFound:
		return RefusedValidation
	case parley.ERateLimited:
		return RefusedRateLimit
	case parley.EUnauthorized, parley.EForbidden:
		return RefusedAccess
	}
	return RefusedOther
}

// counted reports the outcome of a post of n messages to the observer and
// returns err.
func (s *Service) counted(n int, err error) error {
	if err != nil {
		s.obs.Refused(refusalReason(err))
	} else {
		s.obs.Accepted(n)
	}
	return err
}
