-- 0002: accounts, login sessions, API keys and room access (private rooms,
-- direct conversations), as in the SQLite store.
--
-- User names compare case-insensitively, folding ASCII letters only (as
-- SQLite's COLLATE NOCASE does), in every table that holds one: "Ada" and
-- "ada" are one account and one member, "Ève" and "ève" are not. Each such
-- table keeps the spelling it was given and a generated key,
-- lower(name COLLATE "C"), which folds ASCII only whatever the database's
-- locale; lookups compare keys. Times are timestamptz, as in 0001.

CREATE TABLE users (
	name          text COLLATE "C" NOT NULL PRIMARY KEY,
	name_key      text COLLATE "C" NOT NULL GENERATED ALWAYS AS (lower(name COLLATE "C")) STORED,
	admin         boolean     NOT NULL DEFAULT false,
	password_hash text        NOT NULL,
	created       timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_name_key ON users(name_key);

-- A login session: only the SHA-256 of the client's token is kept. It
-- holds the account's stored spelling.
CREATE TABLE login_sessions (
	token_hash bytea       NOT NULL PRIMARY KEY,
	user_name  text COLLATE "C" NOT NULL REFERENCES users(name) ON DELETE CASCADE ON UPDATE CASCADE,
	created    timestamptz NOT NULL,
	expires    timestamptz NOT NULL
);

-- Expired sessions are deleted by range; the user index serves the cascade.
CREATE INDEX login_sessions_expires ON login_sessions(expires);
CREATE INDEX login_sessions_user ON login_sessions(user_name);

-- An API key: only the SHA-256 of its secret is kept. IDs compare exactly.
CREATE TABLE api_keys (
	id          text COLLATE "C" NOT NULL PRIMARY KEY,
	secret_hash bytea       NOT NULL,
	label       text        NOT NULL DEFAULT '',
	created     timestamptz NOT NULL
);

-- Room settings. Existing rooms stay public, ownerless and with notices.
ALTER TABLE rooms
	ADD COLUMN visibility text NOT NULL DEFAULT 'public'
		CHECK (visibility IN ('public', 'private', 'direct')),
	ADD COLUMN owner   text    NOT NULL DEFAULT '',
	ADD COLUMN notices boolean NOT NULL DEFAULT true;

-- Members need not have an account row (the service decides who may be a
-- member), so user_name is not a foreign key.
CREATE TABLE room_members (
	room      text COLLATE "C" NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
	user_name text COLLATE "C" NOT NULL,
	user_key  text COLLATE "C" NOT NULL GENERATED ALWAYS AS (lower(user_name COLLATE "C")) STORED,
	role      text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
	PRIMARY KEY (room, user_key)
);

-- RoomsOf: the rooms of one user.
CREATE INDEX room_members_user ON room_members(user_key, room);

CREATE TABLE room_invites (
	room       text COLLATE "C" NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
	user_name  text COLLATE "C" NOT NULL,
	user_key   text COLLATE "C" NOT NULL GENERATED ALWAYS AS (lower(user_name COLLATE "C")) STORED,
	invited_by text        NOT NULL,
	created    timestamptz NOT NULL,
	PRIMARY KEY (room, user_key)
);

-- messages.room keeps the foreign key of 0001, without cascade, as in the
-- SQLite store: DeleteRoom locks the room, then deletes its messages itself
-- in the transaction that deletes the room. IDs come from the counter,
-- which never goes down, so deleted messages' IDs are not handed out again.
