-- 0005: idempotency keys, as in the SQLite store.
ALTER TABLE messages ADD COLUMN idem_key TEXT;
ALTER TABLE messages ADD COLUMN idem_request TEXT;
CREATE UNIQUE INDEX messages_idem_key ON messages (idem_key) WHERE idem_key IS NOT NULL;
