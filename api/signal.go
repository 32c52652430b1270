package api

import (
	"net/http"
)

// typing signals that the caller is typing in a room (POST
// /api/rooms/{room}/typing, body {} or {"name": guest name}). Nothing is
// stored; streams watching "typing" get a typing event. 204 on success.
func (s *Server) typing(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"` // a guest's display name
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	id, err := s.identity(r, body.Name)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if err := s.chat.Typing(r.Context(), id, r.PathValue("room")); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
