package chat

import "github.com/parley-chat/parley"

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
