// Package irc is Parley's IRC gateway: desktop, terminal and device IRC
// clients share Parley's rooms (as channels, "#lobby") with browsers.
//
// The gateway is one more transport over the same parts as the others:
// every line a client sends goes through chat.Service (validation, word
// filter, rate limit, access rules), every event it receives comes from the
// hub, and presence (join and leave notices, member lists) is shared with
// the web through stream.Presence. docs/IRC.md describes what clients see.
//
// A connection has two goroutines:
//
//   - the reader (conn.serve) reads bounded lines (ircmsg.Reader), applies
//     flood control, parses and runs each command in turn; commands that
//     talk to Parley block only this connection's reader;
//   - the writer (conn.writeLoop) drains the connection's bounded send
//     queue (sendq) to the socket.
//
// The hub delivers events to a connection through one sink per joined
// channel (and one for the user's direct messages). A sink never blocks:
// it renders the event (encode once per event and tag variant, see
// Server.lines) and appends the bytes to the send queue; a client whose
// queue overflows is disconnected ("SendQ exceeded") instead of being
// waited for. Joining a channel follows the gap-free resume algorithm of
// package stream: subscribe first (the sink buffers), read the recent
// history from the store, then release the buffered events newer than the
// history.
package irc
