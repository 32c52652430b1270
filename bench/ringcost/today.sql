WITH next AS (UPDATE counters SET value = value + 2 WHERE name = 'message_id' RETURNING value),
inserted AS (INSERT INTO messages (id, room, kind, from_name, text, created)
  SELECT next.value - 2 + m.ord, m.room, 'message', 'ada', 'hello world from pgbench', now()
  FROM next, unnest(ARRAY['lobby','lobby']::text[]) WITH ORDINALITY AS m(room, ord))
SELECT value FROM next;
