package parley

import (
	"context"
	"time"
)

// Retention is how long a room keeps its log. The zero value keeps
// everything forever (the default); at most one of the fields is set.
type Retention struct {
	// Days: entries older than this many days are deleted.
	Days int `json:"days,omitempty"`
	// Messages: the room keeps its newest this many chat lines (kind
	// message), and the other entries (joins, leaves, notices, deletions)
	// that came after the oldest of them.
	Messages int `json:"messages,omitempty"`
}

// Retention bounds.
const (
	MaxRetentionDays     = 100 * 365
	MaxRetentionMessages = 1 << 30
)

// Forever reports whether r keeps everything.
func (r Retention) Forever() bool { return r.Days == 0 && r.Messages == 0 }

// Validate returns EInvalid unless r is forever, or exactly one field is
// set within its bounds.
func (r Retention) Validate() error {
	switch {
	case r.Days != 0 && r.Messages != 0:
		return Errorf(EInvalid, "retention takes days or messages, not both")
	case r.Days < 0 || r.Days > MaxRetentionDays:
		return Errorf(EInvalid, "retention days %d is out of range: use 1 to %d, or nothing to keep forever", r.Days, MaxRetentionDays)
	case r.Messages < 0 || r.Messages > MaxRetentionMessages:
		return Errorf(EInvalid, "retention messages %d is out of range: use 1 to %d, or nothing to keep forever", r.Messages, MaxRetentionMessages)
	}
	return nil
}

// RoomRetention is a room with its retention.
type RoomRetention struct {
	Room      string
	Retention Retention
}

// RetentionStore keeps a retention setting per room and applies it.
// storetest.RunRetention checks every implementation.
type RetentionStore interface {
	// SetRetention sets a room's retention. ENotFound if no such room,
	// EInvalid if r does not Validate.
	SetRetention(ctx context.Context, room string, r Retention) error
	// Retention returns a room's retention, or ENotFound.
	Retention(ctx context.Context, room string) (Retention, error)
	// RetentionRooms lists the rooms whose retention is not forever,
	// ordered by name.
	RetentionRooms(ctx context.Context) ([]RoomRetention, error)
	// ApplyRetention deletes what room's retention no longer keeps, as of
	// now, and returns how many entries it deleted. It deletes in small
	// transactions, oldest first by ID, so that appends are never held up
	// for long. For a retention in days it stops at the first entry (by
	// ID) that is still young enough: the store stamps times in commit
	// order, so later entries are younger. Deleted entries leave the
	// search index with the message; their IDs are never reused, and
	// LastID does not go down.
	ApplyRetention(ctx context.Context, room string, now time.Time) (deleted int, err error)
}

// MessageDeleter is a store that can look up one message and delete
// messages through the log.
//
// A message is deleted by appending an entry of kind KindDelete, in the
// same room, whose Text is the deleted message's ID in decimal. The store
// deletes the message (and its search index entry) in the transaction
// that appends the entry, so the deletion commits, publishes and resumes
// like any message. A KindDelete entry whose Text names no message of its
// room (or another KindDelete entry) deletes nothing and is still stored.
// storetest.RunDelete checks this.
type MessageDeleter interface {
	// Message returns the message with this ID, or ENotFound (also once
	// it has been deleted).
	Message(ctx context.Context, id int64) (Message, error)
}
