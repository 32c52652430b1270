// Package webhook tells an application server, over HTTP, what happens in
// Parley: a chat line was committed, someone joined or left a room.
//
// The flow of one notification:
//
//	chat commit / presence -> Enqueue (never blocks; bounded queue)
//	  -> worker: POST JSON, signed -> 2xx: done
//	                               -> 5xx, 408, 429, network error, timeout:
//	                                  wait (backoff or Retry-After) in a timer,
//	                                  not in a worker, then back to the queue
//	                               -> other status: dropped, not retried
//
// Guarantees, and their limits:
//
//   - Delivery is at least once while the sender runs: a payload is retried
//     until the receiver answers 2xx or Config.MaxAttempts attempts have
//     failed. A receiver can see a payload twice (its 2xx was lost, say), so
//     every payload carries an ID, the same on every attempt, to dedupe on.
//   - Webhooks are notifications, not the record. The message log is
//     durable; the webhook queue is in memory. Payloads are dropped, and
//     counted in Stats, when the queue is full, when the attempts run out,
//     when the receiver refuses one, and when the sender stops. A receiver
//     that must see everything reconciles from the history API by message
//     ID.
//   - Ordering is best effort. Several workers post at once, and a retry
//     goes to the back of the queue, so payloads can arrive out of order.
//     Message payloads carry the message ID, which increases in commit
//     order; presence payloads carry their time.
//
// Every request is signed (see Sign and Verify) with a secret shared with
// the receiver: the header Parley-Signature holds a timestamp and an
// HMAC-SHA256 of the timestamp and the body, so a receiver can tell the
// request came from Parley and refuse old ones replayed later.
//
// Time comes from the time package, so tests run the sender inside a
// testing/synctest bubble to see backoffs and timeouts pass at once.
package webhook
