package parley

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Conversation features (edits, reactions, replies, read positions) keep
// the log append-only: a change to a message is an entry of its own kind
// (KindEdit, KindReact, KindUnreact, KindDelete) whose Ref names the
// message, committed and published like any other. A client that follows
// a room applies each entry to its target; applying one twice gives the
// same result (an edit sets the text, a reaction is a member of a set).
//
// For display the stores fold the entries into their targets: a chat
// line's Text is its current text and Edited the time of its latest edit
// (an edit entry updates its target in the transaction that appends it,
// so search indexes the edited text), and ConversationStore.Reactions
// folds the react and unreact entries of a set of messages.

// IsChange reports whether kind is an entry that changes another message
// (edit, react, unreact) rather than one shown on its own. Deletions are
// not counted: clients have always received them as entries.
func IsChange(kind string) bool {
	return kind == KindEdit || kind == KindReact || kind == KindUnreact
}

// Reaction is one emoji on a message: how many reacted with it and who,
// in the order they reacted.
type Reaction struct {
	Emoji string   `json:"emoji"`
	Count int      `json:"count"`
	By    []string `json:"by"`
}

// ConversationStore folds change entries for display. Both stores
// implement it; storetest.RunConversation checks them.
//
// Appending a KindEdit entry whose Ref names a chat line (kind message) of
// its room sets that line's Text to the entry's Text and its Edited to the
// entry's Time, in the same transaction; an edit naming anything else
// changes nothing and is still stored. Appending a KindDelete entry also
// deletes the change entries (edit, react, unreact) of the deleted
// message, so its edited text leaves the log with it.
type ConversationStore interface {
	// Reactions returns the current reactions of the messages ids, folded
	// from their react and unreact entries in ID order (FoldReactions).
	// Messages without reactions are absent from the map.
	Reactions(ctx context.Context, ids []int64) (map[int64][]Reaction, error)
}

// AttachReactions sets the current reactions of the chat lines and
// notices of msgs, read from rs (a ConversationStore), for reads that
// display them.
func AttachReactions(ctx context.Context, rs ConversationStore, msgs []Message) error {
	var ids []int64
	for _, m := range msgs {
		if m.Kind == KindMessage || m.Kind == KindNotice {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	byID, err := rs.Reactions(ctx, ids)
	if err != nil {
		return err
	}
	for i := range msgs {
		msgs[i].Reactions = byID[msgs[i].ID]
	}
	return nil
}

// FoldReactions folds react and unreact entries, in ascending ID order,
// into the current reactions of each message they reference: a react adds
// its author to the emoji's set (once), an unreact removes them. Emojis
// are ordered by their oldest standing reaction, names by when they
// reacted. Names compare ASCII case-insensitively, as accounts do. Other
// kinds are ignored.
func FoldReactions(entries []Message) map[int64][]Reaction {
	type pair struct{ emoji, who string }
	standing := map[int64][]pair{}
	for _, e := range entries {
		if e.Ref <= 0 || (e.Kind != KindReact && e.Kind != KindUnreact) {
			continue
		}
		list := standing[e.Ref]
		at := -1
		for i, p := range list {
			if p.emoji == e.Text && EqualNames(p.who, e.From) {
				at = i
				break
			}
		}
		switch {
		case e.Kind == KindReact && at < 0:
			list = append(list, pair{e.Text, e.From})
		case e.Kind == KindUnreact && at >= 0:
			list = append(list[:at], list[at+1:]...)
		}
		standing[e.Ref] = list
	}
	out := make(map[int64][]Reaction, len(standing))
	for id, list := range standing {
		var rs []Reaction
		for _, p := range list {
			i := 0
			for i < len(rs) && rs[i].Emoji != p.emoji {
				i++
			}
			if i == len(rs) {
				rs = append(rs, Reaction{Emoji: p.emoji})
			}
			rs[i].Count++
			rs[i].By = append(rs[i].By, p.who)
		}
		if len(rs) > 0 {
			out[id] = rs
		}
	}
	return out
}

// EqualNames reports whether two user names are the same account's:
// equal but for the case of ASCII letters.
func EqualNames(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// ReadPosition is a user's place in one room: the ID of the last entry
// they read, and what came after it.
type ReadPosition struct {
	Room string `json:"-"`
	Read int64  `json:"read"`
	// Unread counts the chat lines and notices after Read by others, up
	// to the limit the caller gave.
	Unread int `json:"unread"`
	// Mentions counts those of them that mention the user (Mentions).
	Mentions int `json:"mentions"`
}

// MaxUnread bounds the unread count of a room: past it, clients show
// "1000+".
const MaxUnread = 1000

// ReadPositionStore keeps each user's read position per room. Both
// stores implement it; storetest.RunReadPositions checks them.
type ReadPositionStore interface {
	// SetReadPosition moves user's position in room to id when id is
	// greater than the one stored, and returns the position now stored
	// (never lower than before). ENotFound if room does not exist.
	SetReadPosition(ctx context.Context, user, room string, id int64) (int64, error)

	// ReadPositions returns user's position in each of rooms, in the
	// order given (0 where they never read), with Unread counting the
	// entries of kind message or notice after it that are not user's own
	// lines (a guest's line under the same name counts as someone
	// else's), at most limit, and Mentions those of them whose text
	// mentions user (Mentions).
	ReadPositions(ctx context.Context, user string, rooms []string, limit int) ([]ReadPosition, error)
}

// Mentions reports whether text mentions the user name as "@name": the
// '@' not preceded by a letter or digit (so that an e-mail address is
// not a mention), the name matched ASCII case-insensitively, and not
// followed by a character that would continue a name (a letter, digit,
// '-', '_', or '.' followed by one of those).
func Mentions(text, name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(text); {
		at := strings.IndexByte(text[i:], '@')
		if at < 0 {
			return false
		}
		at += i
		i = at + 1
		if at > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:at]); isNameRune(r) {
				continue
			}
		}
		end := at + 1 + len(name)
		if end > len(text) || !EqualNames(text[at+1:end], name) {
			continue
		}
		rest := text[end:]
		r, size := utf8.DecodeRuneInString(rest)
		if rest == "" || (!isNameRune(r) && r != '.') {
			return true
		}
		if r == '.' {
			if next, _ := utf8.DecodeRuneInString(rest[size:]); !isNameRune(next) {
				return true
			}
		}
	}
	return false
}

func isNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_'
}
