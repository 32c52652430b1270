package api

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/authn"
)

// Admin configures the administration endpoints under /api/admin/ (the
// console at /admin uses them; so can scripts). Every one needs an account
// with the admin flag: anyone else gets 403 and nothing changes.
type Admin struct {
	Accounts parley.AccountAdmin
	// Figures returns the node's live figures: open connections by
	// transport and messages per second.
	Figures func() (connections map[string]int, messagesPerSecond float64)
}

// AdminStats is the answer of GET /api/admin/stats.
type AdminStats struct {
	Connections       map[string]int `json:"connections"`
	MessagesPerSecond float64        `json:"messages_per_second"`
	Rooms             []RoomStats    `json:"rooms"`
}

// RoomStats is one room in AdminStats.
type RoomStats struct {
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
	Topic      string `json:"topic,omitempty"`
	Online     int    `json:"online"`            // people present now (on this node and, in a cluster, the others)
	Members    int    `json:"members,omitempty"` // private rooms: members
}

// sessionIDLen is how many hex digits of a login session's token hash
// name it in the API: enough to tell sessions apart, not the hash itself.
const sessionIDLen = 16

func (s *Server) routeAdmin(a *Admin) {
	s.admin = a
	s.mux.HandleFunc("GET /api/admin/stats", s.adminOnly(s.adminStats))
	s.mux.HandleFunc("GET /api/admin/users", s.adminOnly(s.adminUsers))
	s.mux.HandleFunc("PATCH /api/admin/users/{name}", s.adminOnly(s.audited("admin.user", s.adminUpdateUser)))
	s.mux.HandleFunc("POST /api/admin/users/{name}/password", s.adminOnly(s.audited("admin.password", s.adminResetPassword)))
	s.mux.HandleFunc("GET /api/admin/users/{name}/sessions", s.adminOnly(s.adminSessions))
	s.mux.HandleFunc("DELETE /api/admin/users/{name}/sessions", s.adminOnly(s.audited("admin.logout", s.adminEndSessions)))
	s.mux.HandleFunc("DELETE /api/admin/users/{name}/sessions/{id}", s.adminOnly(s.audited("admin.logout", s.adminEndSessions)))
	s.mux.HandleFunc("GET /api/admin/apikeys", s.adminOnly(s.adminKeys))
	s.mux.HandleFunc("POST /api/admin/apikeys", s.adminOnly(s.audited("admin.apikey.create", s.adminCreateKey)))
	s.mux.HandleFunc("DELETE /api/admin/apikeys/{id}", s.adminOnly(s.audited("admin.apikey.revoke", s.adminRevokeKey)))
}

// adminOnly refuses everyone but logged-in server admins, before the
// handler reads anything.
func (s *Server) adminOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := authn.From(r.Context())
		switch {
		case id.Kind == parley.App:
			s.errs.Write(w, r, parley.Errorf(parley.EForbidden, "API keys cannot administer the server: log in with an admin account"))
		case id.Kind != parley.Registered:
			s.errs.Write(w, r, parley.Errorf(parley.EUnauthorized, "log in with an admin account"))
		case !id.Admin || id.Scoped():
			s.errs.Write(w, r, parley.Errorf(parley.EForbidden, "this needs an admin account"))
		default:
			h(w, r)
		}
	}
}

func (s *Server) adminStats(w http.ResponseWriter, r *http.Request) {
	id := authn.From(r.Context())
	rooms, err := s.chat.ReadableRooms(r.Context(), id)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	st := AdminStats{Connections: map[string]int{}, Rooms: []RoomStats{}}
	if s.admin.Figures != nil {
		st.Connections, st.MessagesPerSecond = s.admin.Figures()
	}
	for _, room := range rooms {
		if room.Visibility == parley.RoomDirect {
			continue // people's conversations are not the console's business
		}
		rs := RoomStats{Name: room.Name, Visibility: room.Visibility, Topic: room.Topic}
		if s.people != nil && s.people.Members != nil {
			rs.Online = len(s.people.Members(room.Name))
		}
		if room.Visibility == parley.RoomPrivate {
			if ms, err := s.chat.Members(r.Context(), id, room.Name); err == nil {
				rs.Members = len(ms)
			}
		}
		st.Rooms = append(st.Rooms, rs)
	}
	writeJSONStatus(w, http.StatusOK, st)
}

// adminUser is an account as the admin API shows it.
type adminUser struct {
	Name     string    `json:"name"`
	Admin    bool      `json:"admin"`
	Disabled bool      `json:"disabled"`
	Created  time.Time `json:"created"`
}

func toAdminUser(u parley.User) adminUser {
	return adminUser{Name: u.Name, Admin: u.Admin, Disabled: u.Disabled, Created: u.Created}
}

// adminUsers serves GET /api/admin/users?q=TEXT&limit=N&after=NAME: the
// accounts whose names contain q (ASCII case ignored), by name, a page at
// a time.
func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.errs.Write(w, r, parley.Errorf(parley.EInvalid, "limit=%.20q is not allowed: use a number from 1 to 1000", v))
			return
		}
		limit = n
	}
	users, err := s.admin.Accounts.Users(r.Context())
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	find, after := strings.ToLower(q.Get("q")), strings.ToLower(q.Get("after"))
	page := struct {
		Users []adminUser `json:"users"`
		Next  string      `json:"next,omitempty"`
	}{Users: []adminUser{}}
	for _, u := range users {
		key := strings.ToLower(u.Name)
		if (after != "" && key <= after) || !strings.Contains(key, find) {
			continue
		}
		if len(page.Users) == limit {
			page.Next = page.Users[limit-1].Name
			break
		}
		page.Users = append(page.Users, toAdminUser(u))
	}
	writeJSONStatus(w, http.StatusOK, page)
}

// adminUpdateUser serves PATCH /api/admin/users/{name} with {"admin":
// bool} and/or {"disabled": bool}. Disabling ends the account's sessions
// and closes its connections on this node at once (other nodes within
// their --revalidate). An admin cannot disable themselves or drop their
// own admin flag: another admin must, so that one is always left.
func (s *Server) adminUpdateUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Admin    *bool `json:"admin"`
		Disabled *bool `json:"disabled"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if body.Admin == nil && body.Disabled == nil {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, `send {"admin": true|false} and/or {"disabled": true|false}`))
		return
	}
	ctx, me := r.Context(), authn.From(r.Context())
	u, _, err := s.admin.Accounts.UserByName(ctx, r.PathValue("name"))
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if strings.EqualFold(u.Name, me.Name) && ((body.Admin != nil && !*body.Admin) || (body.Disabled != nil && *body.Disabled)) {
		s.errs.Write(w, r, parley.Errorf(parley.EForbidden, "you cannot disable yourself or drop your own admin flag: ask another admin"))
		return
	}
	if body.Admin != nil {
		if err := s.admin.Accounts.SetAdmin(ctx, u.Name, *body.Admin); err != nil {
			s.errs.Write(w, r, err)
			return
		}
		u.Admin = *body.Admin
	}
	if body.Disabled != nil {
		if err := s.admin.Accounts.SetDisabled(ctx, u.Name, *body.Disabled); err != nil {
			s.errs.Write(w, r, err)
			return
		}
		u.Disabled = *body.Disabled
		if u.Disabled {
			if _, err := s.admin.Accounts.DeleteUserLoginSessions(ctx, u.Name); err != nil {
				s.errs.Write(w, r, err)
				return
			}
			s.disconnect(parley.AccountTopic(u.Name), "your account was disabled")
		}
	}
	writeJSONStatus(w, http.StatusOK, toAdminUser(u))
}

// adminResetPassword serves POST /api/admin/users/{name}/password with
// {"password": "..."}, or {} for a generated one, answered once. Every
// login session of the account ends.
func (s *Server) adminResetPassword(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Password string `json:"password"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	generated := body.Password == ""
	if generated {
		tok, _, err := auth.NewToken()
		if err != nil {
			s.errs.Write(w, r, err)
			return
		}
		body.Password = tok[:20]
	}
	if err := auth.ValidatePassword(body.Password); err != nil {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, "%s", err.Error()))
		return
	}
	ctx := r.Context()
	u, _, err := s.admin.Accounts.UserByName(ctx, r.PathValue("name"))
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	hash, err := auth.HashPassword(body.Password)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if err := s.admin.Accounts.SetPassword(ctx, u.Name, hash); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	ended, err := s.endSessions(r, u.Name, "")
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	ans := map[string]any{"name": u.Name, "sessions_ended": ended}
	if generated {
		ans["password"] = body.Password // shown this once
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSONStatus(w, http.StatusOK, ans)
}

type adminSession struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

func (s *Server) adminSessions(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.admin.Accounts.UserByName(r.Context(), r.PathValue("name"))
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	list, err := s.admin.Accounts.LoginSessionsOf(r.Context(), u.Name)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	out := make([]adminSession, len(list))
	for i, ls := range list {
		out[i] = adminSession{ID: hex.EncodeToString(ls.TokenHash)[:sessionIDLen], Created: ls.Created, Expires: ls.Expires}
	}
	writeJSONStatus(w, http.StatusOK, map[string]any{"name": u.Name, "sessions": out})
}

// adminEndSessions serves DELETE /api/admin/users/{name}/sessions (all)
// and .../sessions/{id} (one): the sessions end, and their open
// connections on this node close at once.
func (s *Server) adminEndSessions(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.admin.Accounts.UserByName(r.Context(), r.PathValue("name"))
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	ended, err := s.endSessions(r, u.Name, r.PathValue("id"))
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusOK, map[string]any{"name": u.Name, "sessions_ended": ended})
}

// endSessions ends the user's login sessions (only the one whose ID is
// id, when id is not empty) and disconnects them on this node.
func (s *Server) endSessions(r *http.Request, user, id string) (int, error) {
	ctx := r.Context()
	list, err := s.admin.Accounts.LoginSessionsOf(ctx, user)
	if err != nil {
		return 0, err
	}
	ended := 0
	for _, ls := range list {
		hexHash := hex.EncodeToString(ls.TokenHash)
		if id != "" && hexHash[:sessionIDLen] != id {
			continue
		}
		if err := s.admin.Accounts.DeleteLoginSession(ctx, ls.TokenHash); err != nil {
			return ended, err
		}
		s.disconnect(parley.SessionTopic(hexHash), "your login session was ended by an admin")
		ended++
	}
	if id != "" && ended == 0 {
		return 0, parley.Errorf(parley.ENotFound, "%s has no session %.20q: list them with GET /api/admin/users/%s/sessions", user, id, user)
	}
	return ended, nil
}

func (s *Server) disconnect(topic, reason string) {
	if s.people != nil && s.people.Disconnect != nil {
		s.people.Disconnect(topic, reason)
	}
}

func (s *Server) adminKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.admin.Accounts.APIKeys(r.Context())
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusOK, map[string]any{"keys": keys})
}

// adminCreateKey serves POST /api/admin/apikeys {"label": "..."}: the
// key is in the answer, this once; only its hash is stored.
func (s *Server) adminCreateKey(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Label string `json:"label"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if err := ValidateLabel(body.Label); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	id, secret, full, err := auth.NewAPIKey()
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	k := parley.APIKey{ID: id, SecretHash: auth.HashSecret(secret), Label: body.Label, Created: time.Now().UTC()}
	if err := s.admin.Accounts.CreateAPIKey(r.Context(), k); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSONStatus(w, http.StatusCreated, map[string]any{"id": id, "label": k.Label, "created": k.Created, "key": full})
}

// adminRevokeKey serves DELETE /api/admin/apikeys/{id}: the key stops
// working, and connections opened with it close on this node at once.
func (s *Server) adminRevokeKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.admin.Accounts.DeleteAPIKey(r.Context(), id); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	s.disconnect(parley.KeyTopic(id), "the API key was revoked")
	w.WriteHeader(http.StatusNoContent)
}

// setVisibility serves PUT /api/rooms/{room}/visibility {"visibility":
// "private"|"public"}. A room made private closes this node's streams on
// it at once: they reconnect, and only members are let back in.
func (s *Server) setVisibility(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Visibility string `json:"visibility"`
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	room := r.PathValue("room")
	if err := s.chat.SetVisibility(r.Context(), authn.From(r.Context()), room, body.Visibility); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if body.Visibility == parley.RoomPrivate {
		s.disconnect(room, "the room was made private")
	}
	w.WriteHeader(http.StatusNoContent)
}

// MaxLabel bounds an API key's label, in characters.
const MaxLabel = 100

// ValidateLabel allows printable text up to MaxLabel characters (EInvalid
// otherwise).
func ValidateLabel(l string) error {
	if !utf8.ValidString(l) {
		return parley.Errorf(parley.EInvalid, "the label is not valid UTF-8")
	}
	if utf8.RuneCountInString(l) > MaxLabel {
		return parley.Errorf(parley.EInvalid, "the label is too long: at most %d characters", MaxLabel)
	}
	for _, r := range l {
		if !unicode.IsPrint(r) {
			return parley.Errorf(parley.EInvalid, "the label %q has a control or invisible character: use printable text", l)
		}
	}
	return nil
}
