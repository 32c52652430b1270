-- The price of the no-announcement design on the commit path
-- (docs/SCALING.md, "Routing by interest with no announcements"): run on a
-- database that a `parley serve --db postgres://...` has migrated, then
--   pgbench -n -c 4 -j 2 -T 15 -f today.sql DB   and   -f ring.sql DB
-- alternately, under the bench lock.
ALTER TABLE counters ADD COLUMN recent bytea NOT NULL DEFAULT '';
CREATE TABLE message_shards (
	shard int    NOT NULL,
	id    bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	PRIMARY KEY (shard, id)
);
