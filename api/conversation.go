package api

import (
	"net/http"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/authn"
)

// routeConversation adds edits, reactions and read positions. (Replies
// are posted with the line; deletion is in routeSearch.)
func (s *Server) routeConversation() {
	s.mux.HandleFunc("PATCH /api/messages/{id}", s.editMessage)
	s.mux.HandleFunc("PUT /api/messages/{id}/reactions/{emoji}", s.react(true))
	s.mux.HandleFunc("DELETE /api/messages/{id}/reactions/{emoji}", s.react(false))
	s.mux.HandleFunc("PUT /api/rooms/{room}/read", s.setReadPosition)
	s.mux.HandleFunc("GET /api/read", s.readPositions)
}

// messageID reads the {id} of the path: a positive message ID.
func messageID(r *http.Request) (int64, error) {
	id, ok, err := parley.ParseCursor(r.PathValue("id"))
	if err != nil || !ok || id == 0 {
		return 0, parley.Errorf(parley.EInvalid, "message ID %.24q is not valid: expected a positive integer", r.PathValue("id"))
	}
	return id, nil
}

// editMessage answers PATCH /api/messages/{id} {"text": "..."} with the
// stored entry of kind "edit".
func (s *Server) editMessage(w http.ResponseWriter, r *http.Request) {
	id, err := messageID(r)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	var body struct {
		Text *string `json:"text"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if body.Text == nil {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, `request body has no "text" field: send the new text`))
		return
	}
	m, err := s.chat.EditMessage(r.Context(), authn.From(r.Context()), clientKey(r), id, *body.Text)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusOK, m)
}

// react answers PUT (on) and DELETE (!on) /api/messages/{id}/reactions/{emoji}
// with the message's reactions after the change.
func (s *Server) react(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := messageID(r)
		if err != nil {
			s.errs.Write(w, r, err)
			return
		}
		rs, err := s.chat.React(r.Context(), authn.From(r.Context()), clientKey(r), id, r.PathValue("emoji"), on)
		if err != nil {
			s.errs.Write(w, r, err)
			return
		}
		writeJSONStatus(w, http.StatusOK, struct {
			ID        int64             `json:"id"`
			Reactions []parley.Reaction `json:"reactions"`
		}{id, rs})
	}
}

// setReadPosition answers PUT /api/rooms/{room}/read {"id": N} with the
// position stored (N, or the later one stored before).
func (s *Server) setReadPosition(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ID *int64 `json:"id"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if body.ID == nil {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, `request body has no "id" field: send the ID of the last message read`))
		return
	}
	room := r.PathValue("room")
	read, err := s.chat.SetReadPosition(r.Context(), authn.From(r.Context()), room, *body.ID)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusOK, struct {
		Room string `json:"room"`
		Read int64  `json:"read"`
	}{room, read})
}

// readPositions answers GET /api/read: the caller's read position, unread
// and mention counts in every room they may read.
func (s *Server) readPositions(w http.ResponseWriter, r *http.Request) {
	ps, err := s.chat.ReadPositions(r.Context(), authn.From(r.Context()))
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	rooms := make(map[string]parley.ReadPosition, len(ps))
	for _, p := range ps {
		rooms[p.Room] = p
	}
	writeJSONStatus(w, http.StatusOK, struct {
		Rooms    map[string]parley.ReadPosition `json:"rooms"`
		MaxCount int                            `json:"max_count"`
	}{rooms, parley.MaxUnread})
}
