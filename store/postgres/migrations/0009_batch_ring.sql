-- 0009: the ring of recent batches. Every Append rewrites it in the
-- statement that takes its IDs from the counter, under the same row lock,
-- so it always holds exactly the batches committed last, by any node
-- (see ring.go).
ALTER TABLE counters ADD COLUMN ring bytea NOT NULL DEFAULT ''::bytea;
