-- 0004: messages remember whether their author was a guest, as in the
-- SQLite store.
ALTER TABLE messages ADD COLUMN guest BOOLEAN NOT NULL DEFAULT false;
