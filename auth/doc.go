// Package auth holds the building blocks of Parley's identities: password
// hashing, random tokens, API keys, connection tokens signed by an
// application, and login rate limiting. It does no I/O beyond reading key
// files and knows nothing of HTTP or storage; the server wires it.
//
// # Credential kinds
//
// Password (a registered user). Stored only as an argon2id hash in the PHC
// string format ($argon2id$v=19$m=19456,t=2,p=1$salt$hash), made by
// HashPassword and checked by CheckPassword, which reads the cost
// parameters from the hash itself, so they can be raised later without
// invalidating old hashes (NeedsRehash says when to re-hash at the next
// successful login). A login for an unknown user calls DummyCheck so it
// costs the same time as a wrong password for a real one.
//
// Login session token (a browser or client after logging in). NewToken
// makes 32 random bytes, base64url: the token goes to the client, only its
// SHA-256 (HashToken) is stored, as parley.LoginSession.TokenHash. The token
// has 256 bits of entropy, so a fast hash is enough, and a leaked database
// does not leak usable tokens.
//
// API key (an application server that publishes and administers). NewAPIKey
// returns "pk_<id>_<secret>": the id (16 hex digits) is public and
// identifies the key in listings and lookups; only the secret's SHA-256
// (HashSecret) is stored, as parley.APIKey.SecretHash, and CheckSecret
// compares in constant time. ParseAPIKey splits a presented key.
//
// Connection token (a user of an application that embeds Parley). The
// application authenticates its users itself and signs a short-lived JWT
// naming the user ("sub") and, optionally, the rooms it may use ("rooms").
// A Verifier built from the configured algorithm (HS256, RS256 or EdDSA)
// and key checks it. Parley never issues these tokens, it only verifies
// them. A claims example:
//
//	{"sub": "ada", "aud": "parley", "iat": 1790000000, "exp": 1790000300,
//	 "rooms": ["lobby", "design"], "guest": true}
//
// # Login flow
//
// The intended use at a login endpoint:
//
//	ip, user := auth.IPKey(addr), auth.UserKey(name)
//	if ok, wait := limiter.Allow(ip, user); !ok {
//		// 429, Retry-After: wait rounded up to whole seconds
//	}
//	u, hash, err := users.UserByName(ctx, name)
//	if parley.ErrorCode(err) == parley.ENotFound {
//		auth.DummyCheck(password) // same cost as a real check
//		limiter.Fail(ip, user)
//		// 401 "wrong name or password" — the same answer as below
//	}
//	ok, err := auth.CheckPassword(hash, password)
//	if !ok {
//		limiter.Fail(ip, user)
//		// 401 "wrong name or password"
//	}
//	limiter.Succeed(ip, user)
//	if auth.NeedsRehash(hash) { /* HashPassword and SetPassword */ }
//	token, tokenHash, err := auth.NewToken() // store tokenHash, give token
//
// Hashing a password takes about 27 ms of one core and 19 MiB of memory,
// so the caller should also bound how many hashes run at once (a small
// semaphore), or a burst of logins can exhaust memory.
package auth
