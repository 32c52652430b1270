-- 0008: edits, reactions, replies and read positions (issue 13).
--
-- The log stays append-only: an edit, a reaction, its removal and a
-- deletion are entries whose ref names the message they change (0 on
-- other entries). A chat line may name the line it answers in reply_to.
ALTER TABLE messages ADD COLUMN ref INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reply_to INTEGER NOT NULL DEFAULT 0;
-- edited: unix nanoseconds of the latest edit, NULL if never edited.
ALTER TABLE messages ADD COLUMN edited INTEGER;

-- Reactions of a page of messages, and the entries to delete with one.
CREATE INDEX messages_ref ON messages(ref) WHERE ref <> 0;

-- An edit entry sets its target's text and edit time in the transaction
-- that appends it (the full-text update trigger of 0007 indexes the new
-- text). Only a chat line of the same room is edited.
CREATE TRIGGER messages_edit_entry AFTER INSERT ON messages
WHEN new.kind = 'edit' AND new.ref <> 0
BEGIN
	UPDATE messages SET text = new.text, edited = new.created
	WHERE id = new.ref AND room = new.room AND kind = 'message';
END;

-- Deleting a message also deletes its change entries, so that its edited
-- text leaves the log with it.
DROP TRIGGER messages_delete_entry;
CREATE TRIGGER messages_delete_entry AFTER INSERT ON messages
WHEN new.kind = 'delete' AND new.text GLOB '[1-9]*' AND NOT new.text GLOB '*[^0-9]*' AND length(new.text) <= 18
BEGIN
	DELETE FROM messages WHERE id = CAST(new.text AS INTEGER) AND room = new.room AND kind <> 'delete';
	DELETE FROM messages WHERE ref = CAST(new.text AS INTEGER) AND ref <> 0 AND room = new.room AND kind IN ('edit', 'react', 'unreact');
END;

-- A user's read position per room: the ID of the last entry they read.
CREATE TABLE read_positions (
	room      TEXT    NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
	user      TEXT    NOT NULL COLLATE NOCASE,
	last_read INTEGER NOT NULL CHECK (last_read >= 0),
	PRIMARY KEY (user, room)
) STRICT;
