-- 0008: edits, reactions, replies and read positions, as in the SQLite
-- store.
ALTER TABLE messages
	ADD COLUMN ref      bigint NOT NULL DEFAULT 0,
	ADD COLUMN reply_to bigint NOT NULL DEFAULT 0,
	ADD COLUMN edited   timestamptz;

CREATE INDEX messages_ref ON messages(ref) WHERE ref <> 0;

-- An edit entry sets its target's text and edit time in the transaction
-- that appends it (the generated search column follows the text). Only a
-- chat line of the same room is edited. Row triggers run at the end of
-- Append's statement, in insertion order, so a batch may hold a line and
-- its edit.
CREATE FUNCTION parley_edit_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE messages SET text = NEW.text, edited = NEW.created
	WHERE id = NEW.ref AND room = NEW.room AND kind = 'message';
	RETURN NULL;
END
$$;

CREATE TRIGGER messages_edit_entry AFTER INSERT ON messages
	FOR EACH ROW WHEN (NEW.kind = 'edit' AND NEW.ref <> 0) EXECUTE FUNCTION parley_edit_entry();

-- Deleting a message also deletes its change entries, so that its edited
-- text leaves the log with it.
CREATE OR REPLACE FUNCTION parley_delete_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.text ~ '^[1-9][0-9]{0,17}$' THEN
		DELETE FROM messages WHERE id = NEW.text::bigint AND room = NEW.room AND kind <> 'delete';
		DELETE FROM messages WHERE ref = NEW.text::bigint AND ref <> 0 AND room = NEW.room AND kind IN ('edit', 'react', 'unreact');
	END IF;
	RETURN NULL;
END
$$;

-- A user's read position per room. Names fold ASCII case as in 0002.
CREATE TABLE read_positions (
	room      text COLLATE "C" NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
	user_name text COLLATE "C" NOT NULL,
	user_key  text COLLATE "C" NOT NULL GENERATED ALWAYS AS (lower(user_name COLLATE "C")) STORED,
	last_read bigint NOT NULL CHECK (last_read >= 0),
	PRIMARY KEY (user_key, room)
);
