-- 0006: an account can be disabled, as in the SQLite store.
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT false;
