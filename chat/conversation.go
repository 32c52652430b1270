package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-chat/parley"
)

// DefaultEditWindow is how long after posting its author may edit or
// delete a chat line, unless Config.EditWindow says otherwise.
const DefaultEditWindow = 24 * time.Hour

// editWindow returns the configured edit window.
func (s *Service) editWindow() time.Duration {
	if s.cfg.EditWindow > 0 {
		return s.cfg.EditWindow
	}
	return DefaultEditWindow
}

// EditWindow returns how long after posting an author may edit or delete
// a line.
func (s *Service) EditWindow() time.Duration { return s.editWindow() }

// now returns the service clock's time.
func (s *Service) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// target returns the message msgID for id, who must be able to read its
// room: to anyone else it does not exist.
func (s *Service) target(ctx context.Context, id parley.Identity, msgID int64) (parley.Message, error) {
	md, ok := s.store.(parley.MessageDeleter)
	if !ok {
		return parley.Message{}, parley.Errorf(parley.EUnavailable, "changing messages is not available with this message store")
	}
	notFound := parley.Errorf(parley.ENotFound, "message %d does not exist", msgID)
	if msgID <= 0 {
		return parley.Message{}, notFound
	}
	m, err := md.Message(ctx, msgID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Message{}, notFound
	}
	if err != nil {
		return parley.Message{}, err
	}
	if err := s.CanRead(ctx, id, m.Room); err != nil {
		if c := parley.ErrorCode(err); c == parley.EForbidden || c == parley.EUnauthorized || c == parley.ENotFound {
			return parley.Message{}, notFound
		}
		return parley.Message{}, err
	}
	return m, nil
}

// withinWindow reports whether m was posted no longer ago than the edit
// window.
func (s *Service) withinWindow(m parley.Message) bool {
	return s.now().Sub(m.Time) <= s.editWindow()
}

// errPastWindow says that the author's window to change m has closed.
func (s *Service) errPastWindow(what string, m parley.Message) error {
	return parley.Errorf(parley.EForbidden, "message %d was posted more than %s ago: its author may %s a message only within %s of posting it",
		m.ID, formatWindow(s.editWindow()), what, formatWindow(s.editWindow()))
}

// formatWindow writes a window the way an operator sets it: "24h",
// "90m", "30s".
func formatWindow(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// EditMessage replaces the text of a chat line by its author, within the
// edit window, and returns the entry of kind KindEdit that records it.
// The new text passes the same checks and word filter as a new line. The
// entry is committed and published like any message; the store sets the
// line's text (and search index) to the new text in the same
// transaction.
func (s *Service) EditMessage(ctx context.Context, id parley.Identity, client string, msgID int64, text string) (parley.Message, error) {
	m, err := s.editMessage(ctx, id, client, msgID, text)
	return m, s.counted(1, err)
}

func (s *Service) editMessage(ctx context.Context, id parley.Identity, client string, msgID int64, text string) (parley.Message, error) {
	if id.Kind != parley.Registered {
		return parley.Message{}, parley.Errorf(parley.EUnauthorized, "log in to edit your messages")
	}
	m, err := s.target(ctx, id, msgID)
	if err != nil {
		return parley.Message{}, err
	}
	if m.Kind != parley.KindMessage {
		return parley.Message{}, parley.Errorf(parley.EInvalid, "entry %d is of kind %s: only chat lines (kind message) can be edited", msgID, m.Kind)
	}
	author, err := s.isAuthor(ctx, id, m)
	if err != nil {
		return parley.Message{}, err
	}
	if !author {
		return parley.Message{}, parley.Errorf(parley.EForbidden, "message %d is not yours: only its author may edit it", msgID)
	}
	if !s.withinWindow(m) {
		return parley.Message{}, s.errPastWindow("edit", m)
	}
	if err := s.checkPost(ctx, id, m.Room); err != nil {
		return parley.Message{}, err
	}
	if text, err = s.checkText(text); err != nil {
		return parley.Message{}, err
	}
	if !s.limit.allow(client) {
		return parley.Message{}, parley.Errorf(parley.ERateLimited, "too many messages: wait a moment and send again")
	}
	return s.commit(ctx, parley.Message{Room: m.Room, Kind: parley.KindEdit, From: actor(id), Text: text, Ref: m.ID},
		parley.EventFor(m).Also...)
}

// React adds (on) or takes back (!on) id's reaction emoji to a chat line
// or notice, and returns the message's reactions after it. It is
// idempotent: adding a reaction id has already made, or taking back one
// it has not, stores nothing and returns the current reactions. (Two
// identical requests at the same moment may both store an entry; the
// folding of reactions counts each person once.)
func (s *Service) React(ctx context.Context, id parley.Identity, client string, msgID int64, emoji string, on bool) ([]parley.Reaction, error) {
	cs, ok := s.store.(parley.ConversationStore)
	if !ok {
		return nil, parley.Errorf(parley.EUnavailable, "reactions are not available with this message store")
	}
	if id.Kind != parley.Registered {
		return nil, parley.Errorf(parley.EUnauthorized, "log in to react to messages")
	}
	if err := ValidateEmoji(emoji); err != nil {
		return nil, err
	}
	m, err := s.target(ctx, id, msgID)
	if err != nil {
		return nil, err
	}
	if m.Kind != parley.KindMessage && m.Kind != parley.KindNotice {
		return nil, parley.Errorf(parley.EInvalid, "entry %d is of kind %s: react to chat lines and notices only", msgID, m.Kind)
	}
	if err := s.checkPost(ctx, id, m.Room); err != nil {
		return nil, err
	}
	current, err := s.reactionsOf(ctx, cs, m.ID)
	if err != nil {
		return nil, err
	}
	if reacted(current, emoji, id.Name) == on {
		return current, nil
	}
	if !s.limit.allow(client) {
		return nil, parley.Errorf(parley.ERateLimited, "too many messages: wait a moment and send again")
	}
	kind := parley.KindReact
	if !on {
		kind = parley.KindUnreact
	}
	// Not counted as a post accepted (the commit is counted as every
	// commit is): a reaction is not a line.
	if _, err := s.commit(ctx, parley.Message{Room: m.Room, Kind: kind, From: actor(id), Text: emoji, Ref: m.ID},
		parley.EventFor(m).Also...); err != nil {
		return nil, err
	}
	return s.reactionsOf(ctx, cs, m.ID)
}

func (s *Service) reactionsOf(ctx context.Context, cs parley.ConversationStore, msgID int64) ([]parley.Reaction, error) {
	rs, err := cs.Reactions(ctx, []int64{msgID})
	if err != nil {
		return nil, err
	}
	if rs[msgID] == nil {
		return []parley.Reaction{}, nil
	}
	return rs[msgID], nil
}

// reacted reports whether name is among those who reacted with emoji.
func reacted(rs []parley.Reaction, emoji, name string) bool {
	for _, r := range rs {
		if r.Emoji != emoji {
			continue
		}
		for _, by := range r.By {
			if parley.EqualNames(by, name) {
				return true
			}
		}
	}
	return false
}

// WithReactions sets the current reactions of the chat lines and notices
// of msgs, for reads that display them (history pages read forward,
// search results, transcripts). Stores that keep no reactions leave msgs
// as they are.
func (s *Service) WithReactions(ctx context.Context, msgs []parley.Message) error {
	if cs, ok := s.store.(parley.ConversationStore); ok {
		return parley.AttachReactions(ctx, cs, msgs)
	}
	return nil
}

// checkReply checks that replyTo is a chat line or notice of room that id
// may read.
func (s *Service) checkReply(ctx context.Context, id parley.Identity, room string, replyTo int64) error {
	if replyTo == 0 {
		return nil
	}
	m, err := s.target(ctx, id, replyTo)
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Errorf(parley.ENotFound, "message %d to reply to does not exist", replyTo)
	}
	if err != nil {
		return err
	}
	if m.Room != room {
		return parley.Errorf(parley.EInvalid, "message %d is in another room (%q): reply in the message's own room", replyTo, m.Room)
	}
	if m.Kind != parley.KindMessage && m.Kind != parley.KindNotice {
		return parley.Errorf(parley.EInvalid, "entry %d is of kind %s: reply to chat lines and notices only", replyTo, m.Kind)
	}
	return nil
}

// SetReadPosition moves a logged-in user's read position in room forward
// to msgID (a lower ID leaves it where it is) and returns the position
// stored.
func (s *Service) SetReadPosition(ctx context.Context, id parley.Identity, room string, msgID int64) (int64, error) {
	rs, err := s.readPositions(id)
	if err != nil {
		return 0, err
	}
	if err := s.CanRead(ctx, id, room); err != nil {
		return 0, err
	}
	last, err := s.store.LastID(ctx)
	if err != nil {
		return 0, err
	}
	if msgID < 0 || msgID > last {
		return 0, parley.Errorf(parley.EInvalid, "message %d does not exist: a read position is the ID of a message you have received", msgID)
	}
	return rs.SetReadPosition(ctx, id.Name, room, msgID)
}

// ReadPositions returns a logged-in user's read position in every room
// they may read (as a search without a room would search them: other
// people's direct conversations, which admins may read, are left out),
// with the unread lines and mentions after it (at most parley.MaxUnread
// each).
func (s *Service) ReadPositions(ctx context.Context, id parley.Identity) ([]parley.ReadPosition, error) {
	rs, err := s.readPositions(id)
	if err != nil {
		return nil, err
	}
	rooms, err := s.SearchableRooms(ctx, id)
	if err != nil {
		return nil, err
	}
	return rs.ReadPositions(ctx, id.Name, rooms, parley.MaxUnread)
}

func (s *Service) readPositions(id parley.Identity) (parley.ReadPositionStore, error) {
	rs, ok := s.store.(parley.ReadPositionStore)
	if !ok {
		return nil, parley.Errorf(parley.EUnavailable, "read positions are not available with this message store")
	}
	if id.Kind != parley.Registered {
		return nil, parley.Errorf(parley.EUnauthorized, "log in to keep your read position across devices")
	}
	return rs, nil
}
