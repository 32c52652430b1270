package api

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/presence"
	"github.com/parley-chat/parley/realip"
)

// People configures accounts, sessions and presence in the API. A nil
// People leaves those endpoints out (every caller is a guest).
type People struct {
	Users        parley.UserStore
	Resolver     *authn.Resolver
	Limiter      *auth.LoginLimiter
	Registration bool          // POST /api/users is open
	SessionTTL   time.Duration // login session lifetime; default 30 days
	SecureCookie bool          // set the cookie's Secure flag (TLS)
	// Members returns who is online in a room now.
	Members func(room string) []presence.Person
	// Disconnect ends this node's open connections that follow a
	// credential topic (hub.Hub.Disconnect): a logout ends the streams
	// opened with its session at once. Other nodes find the session gone
	// within their revalidation interval. Nil: not at once.
	Disconnect func(topic, reason string)
	// hashing bounds concurrent password hashes: each holds 19 MiB.
	hashing chan struct{}
}

const defaultSessionTTL = 30 * 24 * time.Hour

func (s *Server) routePeople(p *People) {
	p.hashing = make(chan struct{}, 2)
	if p.SessionTTL <= 0 {
		p.SessionTTL = defaultSessionTTL
	}
	s.people = p
	s.mux.HandleFunc("POST /api/session", s.login)
	s.mux.HandleFunc("GET /api/session", s.whoami)
	s.mux.HandleFunc("DELETE /api/session", s.logout)
	s.mux.HandleFunc("POST /api/users", s.register)
	s.mux.HandleFunc("POST /api/users/{name}/messages", s.direct)
	s.mux.HandleFunc("GET /api/users/{name}/messages", s.directHistory)
	s.mux.HandleFunc("GET /api/rooms/{room}/members", s.members)
	s.mux.HandleFunc("PUT /api/rooms/{room}/topic", s.audited("room.topic", s.setTopic))
	s.mux.HandleFunc("PUT /api/rooms/{room}/notices", s.audited("room.notices", s.setNotices))
	s.mux.HandleFunc("PUT /api/rooms/{room}/visibility", s.audited("room.visibility", s.setVisibility))
	s.mux.HandleFunc("POST /api/rooms/{room}/invites", s.audited("room.invite", s.invite))
	s.mux.HandleFunc("POST /api/rooms/{room}/join", s.join)
	s.mux.HandleFunc("GET /api/invitations", s.invitations)
	s.mux.HandleFunc("DELETE /api/rooms/{room}/members/{user}", s.audited("room.kick", s.kick))
	s.mux.HandleFunc("DELETE /api/rooms/{room}", s.audited("room.delete", s.deleteRoom))
	s.mux.HandleFunc("POST /api/publish", s.audited("publish", s.publish))
}

// withHash runs a password hash, at most two at a time.
func (p *People) withHash(ctx context.Context, f func()) error {
	select {
	case p.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.hashing }()
	f()
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	p := s.people
	keys := auth.LoginKeys(body.Name, clientAddr(r))
	record := func(action, outcome, reason string) {
		s.auditLog.Record(r.Context(), audit.Event{Action: action, Outcome: outcome, Actor: body.Name, Addr: clientAddr(r).String(), Reason: reason})
	}
	if ok, wait := p.Limiter.Allow(keys...); !ok {
		record("login", audit.Refused, "locked out: too many attempts")
		w.Header().Set("Retry-After", seconds(wait))
		writeCodeStatus(w, http.StatusTooManyRequests, parley.ERateLimited, "too many login attempts: wait "+seconds(wait)+" seconds")
		return
	}
	u, hash, err := p.Users.UserByName(r.Context(), body.Name)
	if err != nil && parley.ErrorCode(err) != parley.ENotFound {
		s.errs.Write(w, r, err)
		return
	}
	var good bool
	herr := p.withHash(r.Context(), func() {
		if err != nil { // unknown user: spend the same time as a real check
			auth.DummyCheck(body.Password)
			return
		}
		good, err = auth.CheckPassword(hash, body.Password)
	})
	if herr != nil {
		return
	}
	if err != nil && parley.ErrorCode(err) != parley.ENotFound {
		s.errs.Write(w, r, err)
		return
	}
	if !good {
		p.Limiter.Fail(keys...)
		record("login", audit.Failed, "wrong name or password")
		// Recorded as a failed login, not also as an access refusal.
		Errors{Log: s.log}.Write(w, r, parley.Errorf(parley.EUnauthorized, "name or password is wrong"))
		return
	}
	p.Limiter.Succeed(keys...)
	if u.Disabled {
		record("login", audit.Refused, "account disabled")
		Errors{Log: s.log}.Write(w, r, parley.Errorf(parley.EForbidden, "this account is disabled: ask an administrator"))
		return
	}
	record("login", audit.OK, "")
	token, tokenHash, err := auth.NewToken()
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	now := time.Now()
	if err := p.Users.CreateLoginSession(r.Context(), parley.LoginSession{TokenHash: tokenHash, User: u.Name, Created: now, Expires: now.Add(p.SessionTTL)}); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: authn.SessionCookie, Value: token, Path: "/", MaxAge: int(p.SessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.SecureCookie || realip.HTTPS(r),
	})
	writeJSONStatus(w, http.StatusOK, map[string]any{"token": token, "user": u})
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	id := authn.From(r.Context())
	if s.people != nil && r.URL.Query().Get("callback") == "" {
		authn.EnsureGuestCookie(w, r, s.people.SecureCookie || realip.HTTPS(r))
	}
	writeJSONStatus(w, http.StatusOK, map[string]any{
		"name": id.Name, "kind": id.Kind.String(), "admin": id.Admin,
		"max_text": s.chat.MaxTextLen(), // so that a page can count before sending
	})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	token := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimPrefix(h, "Bearer ")
	} else if c, err := r.Cookie(authn.SessionCookie); err == nil {
		token = c.Value
	}
	if token != "" && !strings.HasPrefix(token, "pk_") && strings.Count(token, ".") != 2 {
		hash := auth.HashToken(token)
		if err := s.people.Users.DeleteLoginSession(r.Context(), hash); err != nil {
			s.errs.Write(w, r, err)
			return
		}
		s.auditLog.Record(r.Context(), audit.Event{Action: "logout", Outcome: audit.OK, Actor: authn.From(r.Context()).Name, Addr: clientAddr(r).String()})
		if s.people.Disconnect != nil {
			// The session's open streams, sockets and polls end now.
			s.people.Disconnect(parley.SessionTopic(hex.EncodeToString(hash)), "you logged out")
		}
	}
	http.SetCookie(w, &http.Cookie{Name: authn.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if !s.people.Registration {
		s.errs.Write(w, r, parley.Errorf(parley.EForbidden, "registration is closed on this server: ask an admin for an account"))
		return
	}
	var body struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if err := chat.ValidateName(body.Name); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if look := s.people.Resolver.Lookalike; look != nil {
		if other, err := look(r.Context(), body.Name); err != nil {
			s.errs.Write(w, r, err)
			return
		} else if other != "" {
			s.errs.Write(w, r, parley.Errorf(parley.EConflict, "the name %q looks like another account's: choose a name that does not", body.Name))
			return
		}
	}
	if err := auth.ValidatePassword(body.Password); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	var hash string
	var err error
	if herr := s.people.withHash(r.Context(), func() { hash, err = auth.HashPassword(body.Password) }); herr != nil {
		return
	}
	if err == nil {
		err = s.people.Users.CreateUser(r.Context(), parley.User{Name: body.Name}, hash)
	}
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusCreated, map[string]string{"name": body.Name})
}

func (s *Server) direct(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text *string `json:"text"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if body.Text == nil {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, `request body has no "text" field`))
		return
	}
	msg, err := s.chat.Direct(r.Context(), authn.From(r.Context()), clientKey(r), r.PathValue("name"), *body.Text)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusCreated, msg)
}

func (s *Server) directHistory(w http.ResponseWriter, r *http.Request) {
	id := authn.From(r.Context())
	if id.Kind != parley.Registered {
		s.errs.Write(w, r, parley.Errorf(parley.EUnauthorized, "log in to read direct messages"))
		return
	}
	room := parley.DirectRoomName(id.Name, r.PathValue("name"))
	if err := s.chat.CheckRoom(r.Context(), room); parley.ErrorCode(err) == parley.ENotFound {
		// No conversation yet: an empty history, not an error.
		writeJSONStatus(w, http.StatusOK, map[string]any{"messages": []parley.Message{}})
		return
	}
	s.historyOf(w, r, room)
}

func (s *Server) members(w http.ResponseWriter, r *http.Request) {
	room := r.PathValue("room")
	if err := s.chat.CanRead(r.Context(), authn.From(r.Context()), room); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	people := s.people.Members(room)
	writeJSONStatus(w, http.StatusOK, map[string]any{"members": people})
}

func (s *Server) setTopic(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Topic string `json:"topic"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	s.answer(w, r, s.chat.SetTopic(r.Context(), authn.From(r.Context()), r.PathValue("room"), body.Topic))
}

func (s *Server) setNotices(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Notices *bool `json:"notices"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if body.Notices == nil {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, `send {"notices": true} or {"notices": false}`))
		return
	}
	s.answer(w, r, s.chat.SetNotices(r.Context(), authn.From(r.Context()), r.PathValue("room"), *body.Notices))
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User string `json:"user"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	s.answer(w, r, s.chat.Invite(r.Context(), authn.From(r.Context()), r.PathValue("room"), body.User))
}

func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	s.answer(w, r, s.chat.Join(r.Context(), authn.From(r.Context()), r.PathValue("room")))
}

// kick removes a member from a private room; removing yourself is leaving
// it.
func (s *Server) kick(w http.ResponseWriter, r *http.Request) {
	id := authn.From(r.Context())
	if id.Kind == parley.Registered && strings.EqualFold(r.PathValue("user"), id.Name) {
		s.answer(w, r, s.chat.Leave(r.Context(), id, r.PathValue("room")))
		return
	}
	s.answer(w, r, s.chat.Kick(r.Context(), id, r.PathValue("room"), r.PathValue("user")))
}

// invitations serves GET /api/invitations: the private rooms you are
// invited to and have not joined (join with POST /api/rooms/{room}/join).
func (s *Server) invitations(w http.ResponseWriter, r *http.Request) {
	inv, err := s.chat.Invitations(r.Context(), authn.From(r.Context()))
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusOK, map[string]any{"invitations": inv})
}

func (s *Server) deleteRoom(w http.ResponseWriter, r *http.Request) {
	s.answer(w, r, s.chat.DeleteRoom(r.Context(), authn.From(r.Context()), r.PathValue("room")))
}

// answer writes 204 or the error.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	id := authn.From(r.Context())
	if id.Kind != parley.App && !(id.Kind == parley.Registered && id.Admin) {
		s.errs.Write(w, r, parley.Errorf(parley.EForbidden, "publishing needs an API key or an admin account"))
		return
	}
	var body struct {
		Messages []struct {
			Room  string   `json:"room"`
			Rooms []string `json:"rooms"`
			User  string   `json:"user"`
			Text  string   `json:"text"`
			From  string   `json:"from"`
			Kind  string   `json:"kind"`
		} `json:"messages"`
	}
	raw, err := s.decodeJSONBody(w, r, &body)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	idem, err := idempotency(r, id, raw)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	all := func(msgs []parley.Message) any { return map[string]any{"messages": msgs} }
	if s.replayed(w, r, idem, all) {
		return
	}
	pubs := make([]chat.Publication, len(body.Messages))
	for i, m := range body.Messages {
		rooms := m.Rooms
		if m.Room != "" {
			rooms = append(rooms, m.Room)
		}
		pubs[i] = chat.Publication{Rooms: rooms, User: m.User, Text: m.Text, From: m.From, Kind: m.Kind}
	}
	out, err := s.chat.Publish(r.Context(), id, "app", pubs, idem)
	if idem != nil && parley.ErrorCode(err) == parley.EConflict && s.replayed(w, r, idem, all) {
		return
	}
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusCreated, map[string]any{"messages": out})
}

// clientAddr is the client's address (behind trusted proxies, see
// realip), or the unspecified address when RemoteAddr holds none.
func clientAddr(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr()
	}
	return netip.IPv4Unspecified()
}

func seconds(d time.Duration) string {
	n := int((d + time.Second - 1) / time.Second)
	if n < 1 {
		n = 1
	}
	return itoa(n)
}
