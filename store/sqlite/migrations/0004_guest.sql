-- 0004: messages remember whether their author was a guest (a display
-- name with no account), so that pages and transcripts can mark guests.
ALTER TABLE messages ADD COLUMN guest INTEGER NOT NULL DEFAULT 0;
