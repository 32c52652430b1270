-- 0001: rooms and the message log.
--
-- Times are INTEGER unix nanoseconds, UTC. STRICT makes SQLite enforce the
-- declared column types.

CREATE TABLE rooms (
	name    TEXT    NOT NULL PRIMARY KEY,
	topic   TEXT    NOT NULL DEFAULT '',
	created INTEGER NOT NULL
) STRICT;

-- AUTOINCREMENT: an ID is never handed out twice, not even after the newest
-- messages were deleted; clients use IDs as resume cursors.
CREATE TABLE messages (
	id        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	room      TEXT    NOT NULL REFERENCES rooms(name),
	kind      TEXT    NOT NULL,
	from_name TEXT    NOT NULL,
	text      TEXT    NOT NULL,
	created   INTEGER NOT NULL
) STRICT;

-- History of one room (Before) and catch-up over a few rooms (After).
CREATE INDEX messages_room_id ON messages(room, id);

INSERT INTO rooms (name, topic, created) VALUES ('lobby', '', unixepoch() * 1000000000);
