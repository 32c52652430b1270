\set shard random(0, 65535)
WITH next AS (UPDATE counters SET value = value + 2,
    recent = substr(recent || '\x00000000000000010000000000000002000100020003'::bytea, greatest(length(recent) + 22 - 704 + 1, 1))
  WHERE name = 'message_id' RETURNING value, recent),
inserted AS (INSERT INTO messages (id, room, kind, from_name, text, created)
  SELECT next.value - 2 + m.ord, m.room, 'message', 'ada', 'hello world from pgbench', now()
  FROM next, unnest(ARRAY['lobby','lobby']::text[]) WITH ORDINALITY AS m(room, ord)),
shards AS (INSERT INTO message_shards (shard, id)
  SELECT (:shard + m.ord) % 65536, next.value - 2 + m.ord FROM next, generate_series(1, 2) AS m(ord))
SELECT value, length(recent) FROM next;
