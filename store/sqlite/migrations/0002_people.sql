-- 0002: accounts, login sessions, API keys and room access (private rooms,
-- direct conversations).
--
-- User names compare case-insensitively (COLLATE NOCASE, which folds ASCII
-- letters only), in every table that holds one, so that "Ada" and "ada"
-- are one account and one member. Times are INTEGER unix nanoseconds, UTC.

CREATE TABLE users (
	name          TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE,
	admin         INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
	password_hash TEXT    NOT NULL,
	created       INTEGER NOT NULL
) STRICT;

-- A login session: only the SHA-256 of the client's token is kept.
CREATE TABLE login_sessions (
	token_hash BLOB    NOT NULL PRIMARY KEY,
	user       TEXT    NOT NULL COLLATE NOCASE REFERENCES users(name) ON DELETE CASCADE,
	created    INTEGER NOT NULL,
	expires    INTEGER NOT NULL
) STRICT;

-- Expired sessions are deleted by range; the user index serves the cascade.
CREATE INDEX login_sessions_expires ON login_sessions(expires);
CREATE INDEX login_sessions_user ON login_sessions(user);

-- An API key: only the SHA-256 of its secret is kept.
CREATE TABLE api_keys (
	id          TEXT    NOT NULL PRIMARY KEY,
	secret_hash BLOB    NOT NULL,
	label       TEXT    NOT NULL DEFAULT '',
	created     INTEGER NOT NULL
) STRICT;

-- Room settings. Existing rooms stay public, ownerless and with notices.
ALTER TABLE rooms ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'
	CHECK (visibility IN ('public', 'private', 'direct'));
ALTER TABLE rooms ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN notices INTEGER NOT NULL DEFAULT 1 CHECK (notices IN (0, 1));

-- Members need not have an account row (the service decides who may be a
-- member), so user is not a foreign key.
CREATE TABLE room_members (
	room TEXT NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
	user TEXT NOT NULL COLLATE NOCASE,
	role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
	PRIMARY KEY (room, user)
) STRICT;

-- RoomsOf: the rooms of one user.
CREATE INDEX room_members_user ON room_members(user, room);

CREATE TABLE room_invites (
	room       TEXT    NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
	user       TEXT    NOT NULL COLLATE NOCASE,
	invited_by TEXT    NOT NULL,
	created    INTEGER NOT NULL,
	PRIMARY KEY (room, user)
) STRICT;

-- messages.room keeps its plain foreign key (SQLite cannot add ON DELETE
-- CASCADE without rebuilding the table): DeleteRoom deletes the room's
-- messages itself, in the transaction that deletes the room. The
-- AUTOINCREMENT key of messages means their IDs are never handed out again.
