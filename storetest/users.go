package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// RunUsers runs the contract suite for parley.UserStore. newStore must
// return a new store without accounts, sessions or keys, and arrange for it
// to be closed when t ends.
//
// Beyond the comments on the interface, the suite holds stores to what the
// service relies on: a login session needs an existing user (ENotFound
// otherwise) and a unique token hash (EConflict otherwise); a session is
// live while now is before Expires; zero Created times are set to now.
// Case-insensitivity is checked with ASCII letters only.
func RunUsers(t *testing.T, newStore func(t *testing.T) parley.UserStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s parley.UserStore)
	}{
		{"CreateUser", testCreateUser},
		{"CreateUserSetsCreated", testCreateUserSetsCreated},
		{"CreateUserConflict", testCreateUserConflict},
		{"CreateUserConcurrent", testCreateUserConcurrent},
		{"UserByNameIgnoresCase", testUserByNameIgnoresCase},
		{"UserNotFound", testUserNotFound},
		{"SetPassword", testSetPassword},
		{"SetDisabled", testSetDisabled},
		{"DeleteUserLoginSessions", testDeleteUserLoginSessions},
		{"LoginSession", testLoginSession},
		{"LoginSessionExpiry", testLoginSessionExpiry},
		{"LoginSessionUnknownUser", testLoginSessionUnknownUser},
		{"LoginSessionDuplicateToken", testLoginSessionDuplicateToken},
		{"DeleteLoginSession", testDeleteLoginSession},
		{"ManyExpiredSessions", testManyExpiredSessions},
		{"APIKey", testAPIKey},
		{"APIKeyConflict", testAPIKeyConflict},
		{"APIKeyNotFound", testAPIKeyNotFound},
		{"AccountAdmin", testAccountAdmin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// createUser creates an account whose password hash is "hash-"+name.
func createUser(t *testing.T, s parley.UserStore, name string, admin bool) parley.User {
	t.Helper()
	u := parley.User{Name: name, Admin: admin, Created: fixedTime}
	if err := s.CreateUser(ctx(t), u, "hash-"+name); err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

func wantUser(t *testing.T, s parley.UserStore, lookup string, want parley.User, wantHash string) {
	t.Helper()
	got, hash, err := s.UserByName(ctx(t), lookup)
	if err != nil {
		t.Fatalf("UserByName(%q): %v", lookup, err)
	}
	if got.Name != want.Name || got.Admin != want.Admin || !got.Created.Equal(want.Created) {
		t.Fatalf("UserByName(%q) = %+v, want %+v", lookup, got, want)
	}
	if got.Created.Location() != time.UTC {
		t.Fatalf("UserByName(%q): Created %v is not in UTC", lookup, got.Created)
	}
	if hash != wantHash {
		t.Fatalf("UserByName(%q): password hash %q, want %q", lookup, hash, wantHash)
	}
}

// tokenHash returns the SHA-256 of a token named by s, as the service
// would store it.
func tokenHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func testCreateUser(t *testing.T, s parley.UserStore) {
	ada := createUser(t, s, "ada", true)
	bob := createUser(t, s, "bob", false)
	// A PHC string, as auth.HashPassword produces.
	const phc = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
	eve := parley.User{Name: "Ève.d-1_x", Created: fixedTime}
	if err := s.CreateUser(ctx(t), eve, phc); err != nil {
		t.Fatalf("CreateUser(%q): %v", eve.Name, err)
	}
	wantUser(t, s, "ada", ada, "hash-ada")
	wantUser(t, s, "bob", bob, "hash-bob")
	wantUser(t, s, eve.Name, eve, phc)
}

func testCreateUserSetsCreated(t *testing.T, s parley.UserStore) {
	before := time.Now().Add(-time.Second)
	if err := s.CreateUser(ctx(t), parley.User{Name: "ada"}, "h"); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	u, _, err := s.UserByName(ctx(t), "ada")
	if err != nil {
		t.Fatalf("UserByName: %v", err)
	}
	if u.Created.Before(before) || u.Created.After(time.Now().Add(time.Second)) {
		t.Fatalf("Created = %v, want about now", u.Created)
	}
}

func testCreateUserConflict(t *testing.T, s parley.UserStore) {
	ada := createUser(t, s, "Ada", false)
	for _, name := range []string{"Ada", "ada", "ADA", "aDa"} {
		err := s.CreateUser(ctx(t), parley.User{Name: name, Admin: true}, "other")
		wantCode(t, fmt.Sprintf("CreateUser(%q) after Ada", name), err, parley.EConflict)
	}
	// The refused calls changed nothing.
	wantUser(t, s, "Ada", ada, "hash-Ada")
}

// testCreateUserConcurrent races sign-ups for one name in different cases:
// exactly one wins.
func testCreateUserConcurrent(t *testing.T, s parley.UserStore) {
	names := []string{"zoe", "Zoe", "ZOE", "zOe", "zoE", "ZoE", "zOE", "ZOe"}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		won  []string
		errs []error
	)
	c := ctx(t)
	for _, n := range names {
		wg.Go(func() {
			err := s.CreateUser(c, parley.User{Name: n}, "hash-"+n)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				won = append(won, n)
			} else if parley.ErrorCode(err) != parley.EConflict {
				errs = append(errs, fmt.Errorf("CreateUser(%q): %v (code %q), want nil or %q", n, err, parley.ErrorCode(err), parley.EConflict))
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(won) != 1 {
		t.Fatalf("%d sign-ups for one name succeeded (%q), want exactly 1", len(won), won)
	}
	u, hash, err := s.UserByName(ctx(t), "zoe")
	if err != nil || u.Name != won[0] || hash != "hash-"+won[0] {
		t.Fatalf("UserByName(zoe) = %+v, %q, %v; want the winner %q", u, hash, err, won[0])
	}
}

func testUserByNameIgnoresCase(t *testing.T, s parley.UserStore) {
	ada := createUser(t, s, "AdaL", true)
	for _, lookup := range []string{"AdaL", "adal", "ADAL", "aDaL"} {
		// The stored spelling comes back, whatever the lookup's.
		wantUser(t, s, lookup, ada, "hash-AdaL")
	}
}

func testUserNotFound(t *testing.T, s parley.UserStore) {
	createUser(t, s, "ada", false)
	for _, name := range []string{"bob", "ad", "adam", "", "ada%", "a_a"} {
		_, _, err := s.UserByName(ctx(t), name)
		wantCode(t, fmt.Sprintf("UserByName(%q)", name), err, parley.ENotFound)
	}
}

func testSetPassword(t *testing.T, s parley.UserStore) {
	ada := createUser(t, s, "Ada", false)
	bob := createUser(t, s, "bob", false)
	if err := s.SetPassword(ctx(t), "ada", "new-hash"); err != nil {
		t.Fatalf("SetPassword(ada): %v", err)
	}
	wantUser(t, s, "Ada", ada, "new-hash")
	wantUser(t, s, "bob", bob, "hash-bob") // only Ada's changed
	err := s.SetPassword(ctx(t), "carol", "x")
	wantCode(t, "SetPassword(carol)", err, parley.ENotFound)
	if _, _, err := s.UserByName(ctx(t), "carol"); parley.ErrorCode(err) != parley.ENotFound {
		t.Fatalf("SetPassword of a missing user created it: UserByName = %v", err)
	}
}

func sameSession(t *testing.T, what string, got, want parley.LoginSession) {
	t.Helper()
	if !bytes.Equal(got.TokenHash, want.TokenHash) || !strings.EqualFold(got.User, want.User) ||
		!got.Created.Equal(want.Created) || !got.Expires.Equal(want.Expires) {
		t.Fatalf("%s = %+v, want %+v", what, got, want)
	}
	if got.Created.Location() != time.UTC || got.Expires.Location() != time.UTC {
		t.Fatalf("%s: times %v, %v are not in UTC", what, got.Created, got.Expires)
	}
}

func testLoginSession(t *testing.T, s parley.UserStore) {
	createUser(t, s, "ada", false)
	createUser(t, s, "bob", false)
	a := parley.LoginSession{TokenHash: tokenHash("a"), User: "ada", Created: fixedTime, Expires: fixedTime.Add(24 * time.Hour)}
	b := parley.LoginSession{TokenHash: tokenHash("b"), User: "bob", Created: fixedTime, Expires: fixedTime.Add(time.Hour)}
	a2 := parley.LoginSession{TokenHash: tokenHash("a2"), User: "ada", Created: fixedTime, Expires: fixedTime.Add(time.Hour)}
	for _, ls := range []parley.LoginSession{a, b, a2} {
		if err := s.CreateLoginSession(ctx(t), ls); err != nil {
			t.Fatalf("CreateLoginSession(%s): %v", ls.User, err)
		}
	}
	now := fixedTime.Add(time.Minute)
	for _, want := range []parley.LoginSession{a, b, a2} {
		got, err := s.LoginSessionByHash(ctx(t), want.TokenHash, now)
		if err != nil {
			t.Fatalf("LoginSessionByHash(%x): %v", want.TokenHash, err)
		}
		sameSession(t, "LoginSessionByHash", got, want)
	}
	_, err := s.LoginSessionByHash(ctx(t), tokenHash("never issued"), now)
	wantCode(t, "LoginSessionByHash(unknown token)", err, parley.ENotFound)
	_, err = s.LoginSessionByHash(ctx(t), nil, now)
	wantCode(t, "LoginSessionByHash(nil)", err, parley.ENotFound)

	// The user is found in any case; the session belongs to that account.
	c := parley.LoginSession{TokenHash: tokenHash("c"), User: "BOB", Created: fixedTime, Expires: fixedTime.Add(time.Hour)}
	if err := s.CreateLoginSession(ctx(t), c); err != nil {
		t.Fatalf("CreateLoginSession(BOB): %v", err)
	}
	got, err := s.LoginSessionByHash(ctx(t), c.TokenHash, now)
	if err != nil {
		t.Fatalf("LoginSessionByHash: %v", err)
	}
	sameSession(t, "session created for BOB", got, c)
}

func testLoginSessionExpiry(t *testing.T, s parley.UserStore) {
	createUser(t, s, "ada", false)
	ls := parley.LoginSession{TokenHash: tokenHash("t"), User: "ada", Created: fixedTime, Expires: fixedTime.Add(time.Hour)}
	if err := s.CreateLoginSession(ctx(t), ls); err != nil {
		t.Fatalf("CreateLoginSession: %v", err)
	}
	for _, tc := range []struct {
		now  time.Time
		live bool
	}{
		{fixedTime, true},
		{fixedTime.Add(-time.Hour), true}, // a clock behind the creator's
		{ls.Expires.Add(-time.Microsecond), true},
		{ls.Expires, false},
		{ls.Expires.Add(time.Microsecond), false},
		{ls.Expires.Add(365 * 24 * time.Hour), false},
	} {
		got, err := s.LoginSessionByHash(ctx(t), ls.TokenHash, tc.now)
		what := fmt.Sprintf("LoginSessionByHash at Expires%+v", tc.now.Sub(ls.Expires))
		if tc.live {
			if err != nil {
				t.Fatalf("%s: %v, want the session", what, err)
			}
			sameSession(t, what, got, ls)
		} else {
			wantCode(t, what, err, parley.ENotFound)
		}
	}
}

func testLoginSessionUnknownUser(t *testing.T, s parley.UserStore) {
	createUser(t, s, "ada", false)
	ls := parley.LoginSession{TokenHash: tokenHash("x"), User: "mallory", Created: fixedTime, Expires: fixedTime.Add(time.Hour)}
	err := s.CreateLoginSession(ctx(t), ls)
	wantCode(t, "CreateLoginSession for a user without an account", err, parley.ENotFound)
	_, err = s.LoginSessionByHash(ctx(t), ls.TokenHash, fixedTime)
	wantCode(t, "LoginSessionByHash of the refused session", err, parley.ENotFound)
}

// testLoginSessionDuplicateToken: a second session must not take over (or
// be confused with) an existing token.
func testLoginSessionDuplicateToken(t *testing.T, s parley.UserStore) {
	createUser(t, s, "ada", false)
	createUser(t, s, "mallory", false)
	ls := parley.LoginSession{TokenHash: tokenHash("t"), User: "ada", Created: fixedTime, Expires: fixedTime.Add(time.Hour)}
	if err := s.CreateLoginSession(ctx(t), ls); err != nil {
		t.Fatalf("CreateLoginSession: %v", err)
	}
	dup := parley.LoginSession{TokenHash: tokenHash("t"), User: "mallory", Created: fixedTime, Expires: fixedTime.Add(48 * time.Hour)}
	err := s.CreateLoginSession(ctx(t), dup)
	wantCode(t, "CreateLoginSession with a token hash in use", err, parley.EConflict)
	got, err := s.LoginSessionByHash(ctx(t), ls.TokenHash, fixedTime)
	if err != nil {
		t.Fatalf("LoginSessionByHash: %v", err)
	}
	sameSession(t, "session after a refused duplicate", got, ls)
}

func testDeleteLoginSession(t *testing.T, s parley.UserStore) {
	createUser(t, s, "ada", false)
	keep := parley.LoginSession{TokenHash: tokenHash("keep"), User: "ada", Created: fixedTime, Expires: fixedTime.Add(time.Hour)}
	end := parley.LoginSession{TokenHash: tokenHash("end"), User: "ada", Created: fixedTime, Expires: fixedTime.Add(time.Hour)}
	for _, ls := range []parley.LoginSession{keep, end} {
		if err := s.CreateLoginSession(ctx(t), ls); err != nil {
			t.Fatalf("CreateLoginSession: %v", err)
		}
	}
	if err := s.DeleteLoginSession(ctx(t), end.TokenHash); err != nil {
		t.Fatalf("DeleteLoginSession: %v", err)
	}
	_, err := s.LoginSessionByHash(ctx(t), end.TokenHash, fixedTime)
	wantCode(t, "LoginSessionByHash after DeleteLoginSession", err, parley.ENotFound)
	if _, err := s.LoginSessionByHash(ctx(t), keep.TokenHash, fixedTime); err != nil {
		t.Fatalf("DeleteLoginSession ended another session: %v", err)
	}
	for _, h := range [][]byte{end.TokenHash, tokenHash("never issued"), nil} {
		if err := s.DeleteLoginSession(ctx(t), h); err != nil {
			t.Fatalf("DeleteLoginSession of a missing session: %v, want nil", err)
		}
	}
}

// testManyExpiredSessions: creating sessions at later and later times
// (which may clean up expired ones) never loses a live session.
func testManyExpiredSessions(t *testing.T, s parley.UserStore) {
	createUser(t, s, "ada", false)
	const n = 50
	var sessions []parley.LoginSession
	for i := range n {
		created := fixedTime.Add(time.Duration(i) * time.Minute)
		ls := parley.LoginSession{
			TokenHash: tokenHash(fmt.Sprint(i)),
			User:      "ada",
			Created:   created,
			Expires:   created.Add(10 * time.Minute),
		}
		if err := s.CreateLoginSession(ctx(t), ls); err != nil {
			t.Fatalf("CreateLoginSession %d: %v", i, err)
		}
		sessions = append(sessions, ls)
	}
	now := sessions[n-1].Created
	for i, ls := range sessions {
		got, err := s.LoginSessionByHash(ctx(t), ls.TokenHash, now)
		if now.Before(ls.Expires) {
			if err != nil {
				t.Fatalf("session %d (live until %v) at %v: %v", i, ls.Expires, now, err)
			}
			sameSession(t, fmt.Sprintf("session %d", i), got, ls)
		} else {
			wantCode(t, fmt.Sprintf("expired session %d", i), err, parley.ENotFound)
		}
	}
}

func testAPIKey(t *testing.T, s parley.UserStore) {
	secret := sha256.Sum256([]byte("secret"))
	k := parley.APIKey{ID: "0123456789abcdef", SecretHash: secret[:], Label: "billing app ✓", Created: fixedTime}
	if err := s.CreateAPIKey(ctx(t), k); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	other := sha256.Sum256([]byte("other"))
	k2 := parley.APIKey{ID: "fedcba9876543210", SecretHash: other[:]}
	before := time.Now().Add(-time.Second)
	if err := s.CreateAPIKey(ctx(t), k2); err != nil {
		t.Fatalf("CreateAPIKey without label or time: %v", err)
	}
	got, err := s.APIKeyByID(ctx(t), k.ID)
	if err != nil {
		t.Fatalf("APIKeyByID: %v", err)
	}
	if got.ID != k.ID || !bytes.Equal(got.SecretHash, k.SecretHash) || got.Label != k.Label ||
		!got.Created.Equal(k.Created) || got.Created.Location() != time.UTC {
		t.Fatalf("APIKeyByID = %+v, want %+v with Created in UTC", got, k)
	}
	got, err = s.APIKeyByID(ctx(t), k2.ID)
	if err != nil {
		t.Fatalf("APIKeyByID: %v", err)
	}
	if !bytes.Equal(got.SecretHash, k2.SecretHash) || got.Label != "" ||
		got.Created.Before(before) || got.Created.After(time.Now().Add(time.Second)) {
		t.Fatalf("APIKeyByID = %+v, want %x, no label, created about now", got, k2.SecretHash)
	}
}

func testAPIKeyConflict(t *testing.T, s parley.UserStore) {
	h := sha256.Sum256([]byte("first"))
	k := parley.APIKey{ID: "k1", SecretHash: h[:], Label: "first", Created: fixedTime}
	if err := s.CreateAPIKey(ctx(t), k); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	h2 := sha256.Sum256([]byte("second"))
	err := s.CreateAPIKey(ctx(t), parley.APIKey{ID: "k1", SecretHash: h2[:], Label: "second"})
	wantCode(t, "second CreateAPIKey(k1)", err, parley.EConflict)
	got, err := s.APIKeyByID(ctx(t), "k1")
	if err != nil || !bytes.Equal(got.SecretHash, h[:]) || got.Label != "first" {
		t.Fatalf("APIKeyByID after a refused duplicate = %+v, %v; want the first key", got, err)
	}
}

func testAPIKeyNotFound(t *testing.T, s parley.UserStore) {
	h := sha256.Sum256([]byte("s"))
	if err := s.CreateAPIKey(ctx(t), parley.APIKey{ID: "abcdef", SecretHash: h[:]}); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	// IDs compare exactly: a key ID is part of a credential.
	for _, id := range []string{"abcde", "abcdef0", "ABCDEF", "", "%"} {
		_, err := s.APIKeyByID(ctx(t), id)
		wantCode(t, fmt.Sprintf("APIKeyByID(%q)", id), err, parley.ENotFound)
	}
}

// testDeleteUserLoginSessions logs one user out everywhere ("parley user
// passwd"), in any letter case, leaving other users' sessions, when the
// store offers it.
func testDeleteUserLoginSessions(t *testing.T, s parley.UserStore) {
	d, ok := s.(interface {
		DeleteUserLoginSessions(ctx context.Context, user string) (int64, error)
	})
	if !ok {
		t.Skip("store does not offer DeleteUserLoginSessions")
	}
	createUser(t, s, "Ada", false)
	createUser(t, s, "bob", false)
	for _, ls := range []parley.LoginSession{
		{TokenHash: tokenHash("a1"), User: "Ada", Created: fixedTime, Expires: fixedTime.Add(time.Hour)},
		{TokenHash: tokenHash("a2"), User: "ada", Created: fixedTime, Expires: fixedTime.Add(time.Hour)},
		{TokenHash: tokenHash("b"), User: "bob", Created: fixedTime, Expires: fixedTime.Add(time.Hour)},
	} {
		if err := s.CreateLoginSession(ctx(t), ls); err != nil {
			t.Fatalf("CreateLoginSession(%s): %v", ls.User, err)
		}
	}
	n, err := d.DeleteUserLoginSessions(ctx(t), "ADA")
	if err != nil || n != 2 {
		t.Fatalf("DeleteUserLoginSessions(ADA) = %d, %v; want 2, nil", n, err)
	}
	now := fixedTime.Add(time.Minute)
	for _, h := range []string{"a1", "a2"} {
		_, err := s.LoginSessionByHash(ctx(t), tokenHash(h), now)
		wantCode(t, "Ada's session after DeleteUserLoginSessions", err, parley.ENotFound)
	}
	if _, err := s.LoginSessionByHash(ctx(t), tokenHash("b"), now); err != nil {
		t.Errorf("bob's session was ended too: %v", err)
	}
}

func testSetDisabled(t *testing.T, s parley.UserStore) {
	createUser(t, s, "Ada", false)
	createUser(t, s, "bob", false)
	if err := s.SetDisabled(ctx(t), "ada", true); err != nil {
		t.Fatalf("SetDisabled(ada): %v", err)
	}
	if u, _, err := s.UserByName(ctx(t), "ADA"); err != nil || !u.Disabled {
		t.Fatalf("UserByName(ADA) = %+v, %v: want disabled", u, err)
	}
	if u, _, _ := s.UserByName(ctx(t), "bob"); u.Disabled {
		t.Fatal("bob was disabled too")
	}
	if err := s.SetDisabled(ctx(t), "ada", false); err != nil {
		t.Fatalf("enabling ada: %v", err)
	}
	if u, _, _ := s.UserByName(ctx(t), "ada"); u.Disabled {
		t.Fatal("ada is still disabled after enabling")
	}
	wantCode(t, "SetDisabled(carol)", s.SetDisabled(ctx(t), "carol", true), parley.ENotFound)
}

// testAccountAdmin checks parley.AccountAdmin, for stores that have it.
func testAccountAdmin(t *testing.T, us parley.UserStore) {
	s, ok := us.(parley.AccountAdmin)
	if !ok {
		t.Skip("the store does not implement parley.AccountAdmin")
	}
	ctx := context.Background()
	createUser(t, s, "Ada", false)
	createUser(t, s, "bob", false)
	if err := s.SetAdmin(ctx, "ada", true); err != nil {
		t.Fatal(err)
	}
	if u, _, _ := s.UserByName(ctx, "ADA"); !u.Admin {
		t.Error("SetAdmin(true) did not make ada an admin")
	}
	if err := s.SetAdmin(ctx, "nobody", true); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("SetAdmin of a missing user = %v, want ENotFound", err)
	}
	now := time.Now()
	for i, exp := range []time.Time{now.Add(time.Hour), now.Add(2 * time.Hour), now.Add(-time.Hour)} {
		h := sha256.Sum256([]byte(fmt.Sprint("admin-session-", i)))
		if err := s.CreateLoginSession(ctx, parley.LoginSession{TokenHash: h[:], User: "ada", Created: now.Add(time.Duration(i) * time.Second), Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.LoginSessionsOf(ctx, "ADA")
	if err != nil || len(list) != 2 || !list[0].Created.After(list[1].Created) || list[0].User != "Ada" {
		t.Fatalf("LoginSessionsOf = %+v, %v; want the 2 live sessions, newest first, under the stored spelling", list, err)
	}
	if list, _ := s.LoginSessionsOf(ctx, "bob"); len(list) != 0 {
		t.Errorf("bob has sessions %+v, want none", list)
	}
	for _, id := range []string{"pk_b", "pk_a"} {
		if err := s.CreateAPIKey(ctx, parley.APIKey{ID: id, SecretHash: []byte("h"), Label: "label " + id, Created: now}); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := s.APIKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ID != "pk_a" || keys[0].SecretHash != nil || keys[0].Label != "label pk_a" {
		t.Fatalf("APIKeys = %+v, %v; want both, ordered, without secret hashes", keys, err)
	}
	if err := s.DeleteAPIKey(ctx, "pk_a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.APIKeyByID(ctx, "pk_a"); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("deleted key still found: %v", err)
	}
	if err := s.DeleteAPIKey(ctx, "pk_a"); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("deleting it again = %v, want ENotFound", err)
	}
}
