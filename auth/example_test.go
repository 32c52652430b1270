package auth_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-chat/parley/auth"
)

// An application signs a connection token for one of its users; Parley
// verifies it with the shared secret.
func ExampleVerifier() {
	secret := []byte("a shared secret of at least 32 bytes!")
	now := time.Date(2026, 11, 21, 19, 20, 0, 0, time.UTC)

	// In the application:
	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub":   "ada",
		"aud":   "parley",
		"iat":   now.Unix(),
		"exp":   now.Add(5 * time.Minute).Unix(),
		"rooms": []string{"lobby"},
	}).SignedString(secret)

	// In Parley:
	v, err := auth.NewVerifier(auth.VerifierConfig{Algorithm: auth.HS256, Key: secret, Audience: "parley"})
	if err != nil {
		panic(err)
	}
	c, err := v.Verify(token, now, true)
	fmt.Println(c.Subject, c.Rooms, c.AllowsRoom("lobby"), c.AllowsRoom("staff"), err)

	_, err = v.Verify(token, now.Add(time.Hour), false)
	fmt.Println(err)
	// Output:
	// ada [lobby] true false <nil>
	// connection token expired at 2026-11-21T19:25:00Z: ask the application for a new one
}

func ExampleLoginLimiter() {
	now := time.Date(2026, 11, 21, 19, 20, 0, 0, time.UTC)
	l := auth.NewLoginLimiter(auth.LimiterConfig{Now: func() time.Time { return now }})
	ip, user := auth.IPKey(netip.MustParseAddr("192.0.2.7")), auth.UserKey("Ada")
	for range 5 {
		if ok, _ := l.Allow(ip, user); ok {
			l.Fail(ip, user) // wrong password
		}
	}
	fmt.Println(l.Allow(ip, user))
	// Output:
	// false 1m0s
}
