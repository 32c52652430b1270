-- 0007: notices (published by admins and applications) are found by
-- search, like chat lines: the full-text triggers index both kinds.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.kind IN ('message', 'notice') BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.kind IN ('message', 'notice') BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF kind, text ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.id, old.text WHERE old.kind IN ('message', 'notice');
	INSERT INTO messages_fts (rowid, text) SELECT new.id, new.text WHERE new.kind IN ('message', 'notice');
END;

INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE kind = 'notice';
