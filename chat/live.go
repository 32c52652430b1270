package chat

import (
	"context"
	"strings"

	"github.com/parley-chat/parley"
)

// CheckLive checks a line that is relayed to a connected user and not
// stored (an IRC private message to or from a guest, who have no direct
// conversations): the text rules, word filter and rate limit of a post
// apply. It returns the text as it may be relayed (masked by the filter).
func (s *Service) CheckLive(id parley.Identity, client, text string) (string, error) {
	if id.Name == "" {
		return "", parley.Errorf(parley.EUnauthorized, "choose a name or log in to send messages")
	}
	text, err := s.checkText(text)
	if err != nil {
		return "", s.counted(1, err)
	}
	if !s.limit.allow(client) {
		return "", s.counted(1, parley.Errorf(parley.ERateLimited, "too many messages: wait a moment and send again"))
	}
	return text, nil
}

// MaxLeaveReason bounds the reason kept with a leave notice, in
// characters.
const MaxLeaveReason = 200

// LeaveWithReason records a leave notice that says why the person left
// ("ada has left: gone fishing"), unless the room has notices turned
// off, as Presence does. The reason is cut to MaxLeaveReason characters
// and made one line.
func (s *Service) LeaveWithReason(ctx context.Context, room, name, reason string) error {
	if s.cfg.RoomAccess != nil {
		rs, err := s.cfg.RoomAccess.RoomSettings(ctx, room)
		if err != nil {
			return err
		}
		if !rs.Notices || rs.Visibility == parley.RoomDirect {
			return nil
		}
	}
	_, err := s.commit(ctx, parley.Message{Room: room, Kind: parley.KindLeave, From: name, Text: name + " has left" + withReason(reason)})
	return err
}

// withReason returns ": reason" for a notice's text, the reason made one
// line of valid UTF-8 and cut to MaxLeaveReason characters; "" for none.
func withReason(reason string) string {
	reason = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(reason, ""))
	if r := []rune(reason); len(r) > MaxLeaveReason {
		reason = string(r[:MaxLeaveReason])
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return ""
	}
	return ": " + reason
}
