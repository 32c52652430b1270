-- 0005: idempotency keys. The first message a request stored with an
-- Idempotency-Key carries the key (scoped to its caller) and the request's
-- fingerprint and message count, in the same transaction as the messages:
-- a retry finds them, a crash cannot keep one without the other, and a
-- key is remembered as long as its message is.
ALTER TABLE messages ADD COLUMN idem_key TEXT;
ALTER TABLE messages ADD COLUMN idem_request TEXT;
CREATE UNIQUE INDEX messages_idem_key ON messages (idem_key) WHERE idem_key IS NOT NULL;
