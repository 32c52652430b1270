// Package postgres is Parley's cluster message store: a parley.Store on a
// PostgreSQL database that every node of a deployment shares, through
// pgx (github.com/jackc/pgx/v5) and its connection pool.
//
// # IDs increase in commit order, across every node
//
// A message ID is also a client's resume cursor, so an ID must never become
// visible after a higher one: a reader that has seen ID n moves its cursor
// to n and would never look below it again. A sequence does not give this:
// two transactions can take 7 and 8 from it and commit as 8, then 7.
//
// Append therefore takes IDs from a counter row (counters.message_id) in
// the transaction that inserts the messages, with one statement:
//
//	UPDATE counters SET value = value + n ... RETURNING value  -- row lock
//	INSERT INTO messages ...                                  -- IDs value-n+1 .. value
//	-- commit: the row lock is released only after the commit is visible
//
// The UPDATE locks the row until the transaction ends. Another Append, on
// this node or any other, blocks on that lock and, once the first one has
// committed (PostgreSQL releases a transaction's locks only after its
// commit is visible to new snapshots), reads the new value under READ
// COMMITTED and continues from it. So the transaction holding the higher
// IDs always commits after the one holding the lower IDs, and a failed
// transaction rolls its counter update back with its messages. The pool
// forces default_transaction_isolation to read committed, where the
// blocked UPDATE continues on the committed row instead of failing.
//
// The same UPDATE rewrites the ring of the last batches committed
// (counters.ring, see ring.go): holding the row lock, it knows exactly
// which batch came before, on any node. A cluster routed by interest
// sends the ring with each batch (AppendRing), so that a node learns
// which IDs went to rooms it does not serve without hearing about them.
//
// The whole Append is one statement in an implicit transaction: one round
// trip, and the row lock is held only while the server inserts the batch
// and flushes the commit, never across the network. Throughput comes from
// batching: the service hands Append up to a few hundred messages at once
// (group commit), so one WAL flush serves them all.
//
// # Schema
//
// Migrations are SQL files embedded from migrations/ (0001_init.sql, ...).
// Open applies the pending ones in one transaction that first takes
// pg_advisory_xact_lock(migrateLockKey), so several nodes starting at once
// apply each step exactly once, and records each applied version in the
// schema_version table. A database whose version is newer than this binary
// knows is refused rather than misread.
//
// Times are timestamptz with microsecond resolution. Append and CreateRoom
// round times to the microsecond before writing them and write back exactly
// the value that later reads return, in UTC. Room names are COLLATE "C",
// so they compare and sort by bytes as in the SQLite store. PostgreSQL
// cannot store a NUL character or invalid UTF-8 in text; such messages are
// refused with EInvalid.
//
// Accounts, login sessions, API keys, room settings, memberships and
// invitations (0002_people.sql) follow the SQLite store too. User names
// compare case-insensitively by a generated key, lower(name COLLATE "C"),
// which folds ASCII letters only, as SQLite's NOCASE does, whatever the
// database's locale. DeleteRoom locks the room row FOR UPDATE before
// deleting its messages: an Append into the room either commits first
// (its foreign key check holds a KEY SHARE lock on the row) and its
// messages go with the room, or waits and then fails with ENotFound.
//
// Durability is PostgreSQL's: with synchronous_commit on (the default), an
// Append that returned nil is on disk. A database configured with
// synchronous_commit = off keeps the ID order but may lose the newest
// acknowledged messages in a crash.
package postgres
