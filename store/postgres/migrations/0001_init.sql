-- 0001: rooms and the message log, as in the SQLite store.
--
-- Times are timestamptz (microseconds; the store rounds before writing and
-- returns UTC). Room names use COLLATE "C": they compare and sort by bytes,
-- as in SQLite, whatever the database's default collation is.

CREATE TABLE rooms (
	name    text COLLATE "C" NOT NULL PRIMARY KEY,
	topic   text        NOT NULL DEFAULT '',
	created timestamptz NOT NULL
);

-- IDs are not a sequence or identity column: Append takes them from the
-- counter below, in the transaction that inserts the messages, so that IDs
-- increase in commit order (see doc.go).
CREATE TABLE messages (
	id        bigint      NOT NULL PRIMARY KEY,
	room      text COLLATE "C" NOT NULL REFERENCES rooms(name),
	kind      text        NOT NULL,
	from_name text        NOT NULL,
	text      text        NOT NULL,
	created   timestamptz NOT NULL
);

-- History of one room (Before) and catch-up over a few rooms (After).
CREATE INDEX messages_room_id ON messages(room, id);

-- counters holds the last ID handed out. Updating its row is what
-- serialises Append across every node: the row lock is held until commit.
-- It never goes down, so an ID is never reused, even after deletes.
CREATE TABLE counters (
	name  text   NOT NULL PRIMARY KEY,
	value bigint NOT NULL CHECK (value >= 0)
);
INSERT INTO counters (name, value) VALUES ('message_id', 0);

INSERT INTO rooms (name, topic, created) VALUES ('lobby', '', now());
