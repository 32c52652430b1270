-- 0003: full-text search, message deletion and retention.
--
-- messages_fts indexes the text of chat lines (kind 'message' only: joins,
-- leaves, notices and deletions are not searchable). It is an external
-- content table: it stores the index, not a copy of the text, and reads
-- the text from messages by rowid = messages.id. The triggers below keep
-- it in step inside the transaction that changes messages, so a commit of
-- Append includes the index.
--
-- Never run the FTS5 'rebuild' command on it: that would index every
-- kind. To rebuild, run 'delete-all' and then the INSERT ... SELECT at the
-- end of this file.
--
-- The tokenizer folds case and removes diacritics (remove_diacritics 2
-- also handles the ones unicode61's older option missed); it does not
-- stem and does not split runs of CJK characters into words. The prefix
-- indexes make 2- and 3-character prefix queries (ab*, abc*) cheap.
CREATE VIRTUAL TABLE messages_fts USING fts5(
	text,
	content = 'messages',
	content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '2 3'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.kind = 'message' BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

-- An external content index must be told the old text to remove it.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.kind = 'message' BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- Parley never updates messages; should anything do so, the index follows.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF kind, text ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.id, old.text WHERE old.kind = 'message';
	INSERT INTO messages_fts (rowid, text) SELECT new.id, new.text WHERE new.kind = 'message';
END;

-- Deleting a message is appending an entry of kind 'delete' whose text is
-- the message's ID: the trigger deletes the message (and, by the trigger
-- above, its index entry) in the same transaction. Only a message of the
-- same room, and never another deletion; text that is not a plain decimal
-- ID deletes nothing.
CREATE TRIGGER messages_delete_entry AFTER INSERT ON messages
WHEN new.kind = 'delete' AND new.text GLOB '[1-9]*' AND NOT new.text GLOB '*[^0-9]*' AND length(new.text) <= 18
BEGIN
	DELETE FROM messages WHERE id = CAST(new.text AS INTEGER) AND room = new.room AND kind <> 'delete';
END;

-- Index the chat lines already stored.
INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE kind = 'message';

-- Retention per room: 0 and 0 keep everything (the default).
ALTER TABLE rooms ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0 CHECK (retention_days >= 0);
ALTER TABLE rooms ADD COLUMN retention_messages INTEGER NOT NULL DEFAULT 0 CHECK (retention_messages >= 0);
