-- 0003: full-text search, message deletion and retention, as in the
-- SQLite store.
--
-- Search uses its own text search configuration, parley_search: the
-- 'simple' parser and dictionary (lower case, no stemming, no stop words,
-- like SQLite's unicode61) with unaccent in front for words with
-- non-ASCII letters, so that "cafe" finds "café". unaccent ships with
-- PostgreSQL's contrib and is a trusted extension (a database owner may
-- create it); where it cannot be created, search works without folding
-- diacritics and a NOTICE says so.
DO $$
BEGIN
	CREATE EXTENSION IF NOT EXISTS unaccent;
EXCEPTION WHEN OTHERS THEN
	RAISE NOTICE 'parley: the unaccent extension is not available (%): search will not fold diacritics', SQLERRM;
END
$$;

CREATE TEXT SEARCH CONFIGURATION parley_search (COPY = simple);

DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
		ALTER TEXT SEARCH CONFIGURATION parley_search
			ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
	END IF;
END
$$;

-- The index of a chat line (kind 'message' only: joins, leaves, notices
-- and deletions are not searchable). A stored generated column is
-- computed in the statement that inserts the row, so Append's commit
-- includes it. Adding it rewrites the table once.
ALTER TABLE messages ADD COLUMN search tsvector
	GENERATED ALWAYS AS (CASE WHEN kind = 'message' THEN to_tsvector('parley_search'::regconfig, text) END) STORED;

CREATE INDEX messages_search ON messages USING gin (search);

-- Deleting a message is appending an entry of kind 'delete' whose text is
-- the message's ID: this trigger deletes the message, with its index
-- entry, in the same transaction. Only a message of the same room, and
-- never another deletion; text that is not a plain decimal ID deletes
-- nothing.
CREATE FUNCTION parley_delete_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.text ~ '^[1-9][0-9]{0,17}$' THEN
		DELETE FROM messages WHERE id = NEW.text::bigint AND room = NEW.room AND kind <> 'delete';
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER messages_delete_entry AFTER INSERT ON messages
	FOR EACH ROW WHEN (NEW.kind = 'delete') EXECUTE FUNCTION parley_delete_entry();

-- Retention per room: 0 and 0 keep everything (the default).
ALTER TABLE rooms
	ADD COLUMN retention_days     integer NOT NULL DEFAULT 0 CHECK (retention_days >= 0),
	ADD COLUMN retention_messages integer NOT NULL DEFAULT 0 CHECK (retention_messages >= 0);
