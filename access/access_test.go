package access

import (
	"testing"

	"github.com/parley-chat/parley"
)

// The access table: every action × every kind of caller × every kind of
// room, under both guest policies.
func TestPolicyTable(t *testing.T) {
	var (
		anon   = parley.Identity{}
		guest  = parley.Identity{Name: "gus", Kind: parley.Guest}
		user   = parley.Identity{Name: "ada", Kind: parley.Registered}
		admin  = parley.Identity{Name: "root", Kind: parley.Registered, Admin: true}
		app    = parley.Identity{Kind: parley.App}
		scoped = parley.Identity{Name: "ada", Kind: parley.Registered, Rooms: []string{"other"}}
		// A guest connection that created "lobby" (parley.Identity.Manages).
		creator = parley.Identity{Name: "gus", Kind: parley.Guest, Manages: []string{"lobby"}}
		// Manages means nothing for a registered user: owners are recorded.
		userClaim = parley.Identity{Name: "ada", Kind: parley.Registered, Manages: []string{"lobby"}}
	)
	public := Room{Name: "lobby", Settings: parley.RoomSettings{Visibility: parley.RoomPublic}}
	private := Room{Name: "staff", Settings: parley.RoomSettings{Visibility: parley.RoomPrivate}}
	member := private
	member.Role = parley.RoleMember
	owner := private
	owner.Role = parley.RoleOwner
	direct := Room{Name: "@ada,bob", Settings: parley.RoomSettings{Visibility: parley.RoomDirect}, Role: parley.RoleMember}
	notInDirect := direct
	notInDirect.Role = ""

	const ok, unauth, forbid = "", parley.EUnauthorized, parley.EForbidden
	type row struct {
		name   string
		id     parley.Identity
		room   Room
		guests bool
		read   parley.Code
		post   parley.Code
		manage parley.Code
	}
	rows := []row{
		{"anonymous, public", anon, public, true, ok, unauth, unauth},
		{"anonymous, public, no guests", anon, public, false, unauth, unauth, unauth},
		{"anonymous, private", anon, private, true, unauth, unauth, unauth},
		{"guest, public", guest, public, true, ok, ok, unauth},
		{"guest, public, no guests", guest, public, false, unauth, unauth, unauth},
		{"guest, private", guest, private, true, forbid, forbid, unauth},
		{"guest that created the room", creator, public, true, ok, ok, ok},
		{"guest that created another room", creator, private, true, forbid, forbid, unauth},
		{"guest that created the room, no guests", creator, public, false, unauth, unauth, unauth},
		{"user naming a room in Manages", userClaim, public, true, ok, ok, forbid},
		{"user, public", user, public, false, ok, ok, forbid},
		{"user, private non-member", user, private, true, forbid, forbid, forbid},
		{"user, private member", user, member, true, ok, ok, forbid},
		{"user, private owner", user, owner, true, ok, ok, ok},
		{"user, direct participant", user, direct, true, ok, ok, forbid},
		{"user, direct outsider", user, notInDirect, true, forbid, forbid, forbid},
		{"admin, private non-member", admin, private, true, ok, ok, ok},
		{"app, private", app, private, false, ok, ok, ok},
		{"token scoped elsewhere, public", scoped, public, true, forbid, forbid, forbid},
	}
	for _, r := range rows {
		p := Policy{Guests: r.guests}
		for _, c := range []struct {
			action string
			err    error
			want   parley.Code
		}{
			{"read", p.Read(r.id, r.room), r.read},
			{"post", p.Post(r.id, r.room), r.post},
			{"manage", p.Manage(r.id, r.room), r.manage},
		} {
			if got := parley.ErrorCode(c.err); got != c.want {
				t.Errorf("%s: %s = %q (%v), want %q", r.name, c.action, got, c.err, c.want)
			}
			if c.err != nil && parley.ErrorMessage(c.err) == "" {
				t.Errorf("%s: %s error has no message", r.name, c.action)
			}
		}
	}
}
