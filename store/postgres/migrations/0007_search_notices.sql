-- 0007: notices (published by admins and applications) are found by
-- search, like chat lines: the generated search column covers both kinds.
DROP INDEX messages_search;
ALTER TABLE messages DROP COLUMN search;
ALTER TABLE messages ADD COLUMN search tsvector
	GENERATED ALWAYS AS (CASE WHEN kind IN ('message', 'notice') THEN to_tsvector('parley_search'::regconfig, text) END) STORED;
CREATE INDEX messages_search ON messages USING gin (search);
