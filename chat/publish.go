package chat

import (
	"context"
	"errors"

	"github.com/parley-chat/parley"
)

// Publication is one item of an application's publish request: a line or
// a notice to one or more rooms, or a direct message to a user.
type Publication struct {
	Rooms []string
	User  string // a direct message to this user (instead of Rooms)
	Text  string
	From  string // the name shown; default the publisher's
	Kind  string // parley.KindMessage (default) or parley.KindNotice
}

// MaxPublish bounds the items of one publish request.
const MaxPublish = 100

// Publish stores every item of pubs for an application (or admin) in one
// transaction, or nothing: each item is checked, and the rate limit taken
// for all of them, before anything is stored, so a refusal leaves nothing
// behind and a retry cannot duplicate a part. client keys the rate limit.
//
// idem, if not nil, is the request's idempotency key: it is stored with
// the first message, and a key stored already fails with EConflict.
func (s *Service) Publish(ctx context.Context, id parley.Identity, client string, pubs []Publication, idem *parley.Idem) ([]parley.Message, error) {
	out, err := s.publish(ctx, id, client, pubs, idem)
	return out, s.counted(len(out), err)
}

func (s *Service) publish(ctx context.Context, id parley.Identity, client string, pubs []Publication, idem *parley.Idem) ([]parley.Message, error) {
	if id.Kind != parley.App && !(id.Kind == parley.Registered && id.Admin) {
		return nil, parley.Errorf(parley.EForbidden, "publishing needs an API key or an admin account")
	}
	if len(pubs) == 0 || len(pubs) > MaxPublish {
		return nil, parley.Errorf(parley.EInvalid, "send 1 to %d messages", MaxPublish)
	}
	var unit []*post
	for i, p := range pubs {
		posts, err := s.preparePublication(ctx, id, p)
		if err != nil {
			wrapped := parley.Errorf(parley.ErrorCode(err), "message %d: %s (nothing was published)", i, parley.ErrorMessage(err))
			if errors.As(err, new(filtered)) {
				return nil, filtered{wrapped}
			}
			return nil, wrapped
		}
		unit = append(unit, posts...)
	}
	if idem != nil {
		stored := *idem
		stored.Count = len(unit)
		unit[0].msg.Idem = &stored
	}
	if !s.limit.allowN(client, len(unit)) {
		return nil, parley.Errorf(parley.ERateLimited,
			"publishing %d messages at once is over this server's rate limit (nothing was published): wait a moment, or send fewer per request", len(unit))
	}
	if err := s.commitUnit(ctx, unit); err != nil {
		if parley.ErrorCode(err) == "" {
			return nil, err
		}
		return nil, parley.Errorf(parley.ErrorCode(err), "%s (nothing was published)", parley.ErrorMessage(err))
	}
	out := make([]parley.Message, len(unit))
	for i, p := range unit {
		out[i] = p.msg
	}
	return out, nil
}

// preparePublication checks one item and returns its posts, uncommitted.
func (s *Service) preparePublication(ctx context.Context, id parley.Identity, p Publication) ([]*post, error) {
	from := p.From
	if from == "" {
		// The publisher's own name (an API key's label may not be a valid
		// display name: then "system").
		from = id.Name
		if ValidateName(from) != nil {
			from = "system"
		}
	}
	if err := ValidateName(from); err != nil {
		return nil, parley.Errorf(parley.EInvalid, "from: %s", parley.ErrorMessage(err))
	}
	switch {
	case p.User != "":
		if len(p.Rooms) > 0 || (p.Kind != "" && p.Kind != parley.KindMessage) {
			return nil, parley.Errorf(parley.EInvalid, "a direct message (user) names no rooms and is of kind message")
		}
		dm, err := s.directPost(ctx, from, p.User, p.Text)
		if err != nil {
			return nil, err
		}
		return []*post{dm}, nil
	case p.Kind == parley.KindNotice || p.Kind == parley.KindMessage || p.Kind == "":
		if len(p.Rooms) == 0 {
			return nil, parley.Errorf(parley.EInvalid, "name a room (room or rooms) or a user")
		}
		text, err := validateText(p.Text, s.cfg.MaxTextLen)
		if err != nil {
			return nil, err
		}
		kind := parley.KindNotice
		if p.Kind != parley.KindNotice {
			kind = parley.KindMessage
			if text, err = s.cfg.Filter.Apply(text); err != nil {
				return nil, err
			}
		}
		var out []*post
		for _, room := range p.Rooms {
			if err := s.CheckRoom(ctx, room); err != nil {
				return nil, err
			}
			if kind == parley.KindMessage {
				if err := s.checkPost(ctx, parley.Identity{Name: from, Kind: parley.App}, room); err != nil {
					return nil, err
				}
			}
			out = append(out, &post{msg: parley.Message{Room: room, Kind: kind, From: from, Text: text}})
		}
		return out, nil
	}
	return nil, parley.Errorf(parley.EInvalid, "kind %q cannot be published: use message or notice", p.Kind)
}
