// Package sqlite is Parley's embedded message store: a parley.Store on a
// single SQLite file, through the pure-Go driver modernc.org/sqlite (no cgo).
//
// # Design
//
// The database runs in WAL mode. Readers see the last committed state and
// never wait for the writer, and the writer never waits for readers, so
// history and catch-up queries go on while messages are committed.
//
// SQLite allows one writer at a time, so the Store keeps two pools:
//
//   - the write pool holds exactly one connection. Every write (Append,
//     CreateRoom, migrations) runs on it, in a BEGIN IMMEDIATE transaction.
//     Go callers queue on the pool instead of spinning on SQLITE_BUSY, and
//     IDs increase in commit order because commits are serial.
//   - the read pool holds several connections opened with query_only, for
//     After, Before, LastID, Room and Rooms.
//
// synchronous=FULL makes every commit fsync the WAL, so Append returns only
// once the batch is on disk: an acknowledged message survives a power cut.
// That costs one fsync per transaction, not per message, which is why
// callers should batch concurrent appends (group commit) into one Append.
//
// Pragmas are set through the DSN (_pragma=...), so every connection the
// pools open gets them, including ones reopened later.
//
// # Schema
//
// Migrations are SQL files embedded from migrations/ (0001_init.sql, ...).
// Open applies the pending ones in a single transaction and records the
// schema version in PRAGMA user_version. A database whose version is newer
// than this binary knows is refused rather than misread.
//
// Times are stored as INTEGER unix nanoseconds and returned in UTC. Message
// IDs come from an AUTOINCREMENT key, so an ID is never reused.
//
// Migration 0002 adds accounts, login sessions and API keys (the Store is
// a parley.UserStore) and room settings, memberships and invitations (a
// parley.RoomAccessStore). User names compare with COLLATE NOCASE, which
// folds ASCII letters only. DeleteRoom deletes the room's messages in the
// same writer transaction, so it is serialised with Append.
package sqlite
