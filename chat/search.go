package chat

import (
	"context"
	"slices"
	"unicode/utf8"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/access"
)

// maxFromLen bounds the sender filter of a search, in characters.
const maxFromLen = 64

// Search runs a full-text search for id. With room set, it searches that
// room, which id must be able to read; otherwise every room id may
// read, less other people's direct conversations (see SearchableRooms).
// Whatever q.Rooms holds is replaced.
func (s *Service) Search(ctx context.Context, id parley.Identity, room string, q parley.SearchQuery) (parley.SearchPage, error) {
	searcher, ok := s.store.(parley.Searcher)
	if !ok {
		return parley.SearchPage{}, parley.Errorf(parley.EUnavailable, "search is not available with this message store")
	}
	if utf8.RuneCountInString(q.From) > maxFromLen || !utf8.ValidString(q.From) {
		return parley.SearchPage{}, parley.Errorf(parley.EInvalid, "from must be a name of at most %d characters", maxFromLen)
	}
	if room != "" {
		if err := s.CanRead(ctx, id, room); err != nil {
			return parley.SearchPage{}, err
		}
		q.Rooms = []string{room}
	} else {
		rooms, err := s.SearchableRooms(ctx, id)
		if err != nil {
			return parley.SearchPage{}, err
		}
		if len(rooms) == 0 {
			// Say why (a server that admits no guests, say) rather than
			// answer an empty page.
			if err := s.CanRead(ctx, id, parley.DefaultRoom); err != nil {
				return parley.SearchPage{}, err
			}
		}
		q.Rooms = rooms
	}
	page, err := searcher.Search(ctx, q)
	if err != nil || len(page.Hits) == 0 {
		return page, err
	}
	// Results show each line as it is now: its text is the edited one
	// already; add its reactions.
	msgs := make([]parley.Message, len(page.Hits))
	for i, h := range page.Hits {
		msgs[i] = h.Message
	}
	if err := s.WithReactions(ctx, msgs); err != nil {
		return parley.SearchPage{}, err
	}
	for i := range page.Hits {
		page.Hits[i].Message.Reactions = msgs[i].Reactions
	}
	return page, nil
}

// SearchableRooms lists the rooms a search without a room searches for
// id: the rooms id may read (ReadableRooms, with the same checks a read
// of each would make), without the direct conversations id is not part
// of. Server admins and applications may read any conversation by
// naming it, but a search over everything is not the place to come
// across other people's private messages.
func (s *Service) SearchableRooms(ctx context.Context, id parley.Identity) ([]string, error) {
	infos, err := s.ReadableRooms(ctx, id)
	if err != nil {
		return nil, err
	}
	convs, err := s.Conversations(ctx, id)
	if err != nil {
		return nil, err
	}
	rooms := make([]string, 0, len(infos))
	for _, r := range infos {
		switch r.Visibility {
		case parley.RoomDirect:
			if !slices.Contains(convs, r.Name) {
				continue
			}
		case parley.RoomPublic:
			// ReadableRooms lists public rooms without asking the policy;
			// a token limited to some rooms, or a server without guests,
			// narrows them.
			if s.cfg.Access != nil {
				room := access.Room{Name: r.Name, Settings: parley.RoomSettings{Visibility: parley.RoomPublic}}
				if s.cfg.Access.Policy.Read(id, room) != nil {
					continue
				}
			}
		}
		rooms = append(rooms, r.Name)
	}
	return rooms, nil
}
