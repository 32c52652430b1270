-- 0006: an account can be disabled: it cannot log in, and its open
-- connections end (see the revocation sweep).
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
