// Package parley holds Parley's domain: the types every part of the server
// shares (Message, Room, Event, Error) and the interfaces that the adapters
// implement (Store, Broker). It imports only the standard library.
//
// The flow of a chat line is always the same, whatever transport it arrives
// on or leaves by:
//
//	validate -> filter -> Store.Append (commit, ID assigned) -> Broker.Publish -> Hub fan-out
//
// Message IDs increase in commit order across the whole deployment, so a
// message ID is also the cursor a client resumes from (Last-Event-ID, poll
// cursor, WebSocket cursor).
package parley
