package ircmsg

import (
	"slices"
	"unicode/utf8"
)

// Message is one IRC message.
//
// A Message is a plain value, but its slices are shared by copies: use
// Clone before changing the tags or parameters of a message that someone
// else may hold (a parsed line relayed to several clients, say).
type Message struct {
	// Tags are the IRCv3 message tags, in wire order, each key at most
	// once. Parse leaves Tags nil when the line has none.
	Tags []Tag
	// Source is the prefix without its ':' ("nick!user@host" or a server
	// name); "" when absent.
	Source string
	// Command is a command in upper case ("PRIVMSG") or a three-digit
	// numeric ("001").
	Command string
	// Params are the parameters with the trailing one's ':' removed.
	// Parse leaves Params nil when there are none.
	Params []string
}

// Tag is one message tag. An empty Value and no value are the same: both
// encode as the bare key, as the specification allows.
type Tag struct {
	Key   string
	Value string
}

// Param returns the i-th parameter, or "" when there are not that many.
func (m Message) Param(i int) string {
	if i < 0 || i >= len(m.Params) {
		return ""
	}
	return m.Params[i]
}

// Tag returns the value of the tag with this key and whether it is present.
func (m Message) Tag(key string) (value string, ok bool) {
	for _, t := range m.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// SetTag sets the tag's value in place, or adds the tag at the end. It
// does not check the key; Validate does. Server tags should be set before
// client-only ('+') tags, which the specification wants last.
func (m *Message) SetTag(key, value string) {
	for i := range m.Tags {
		if m.Tags[i].Key == key {
			m.Tags[i].Value = value
			return
		}
	}
	m.Tags = append(m.Tags, Tag{Key: key, Value: value})
}

// DeleteTag removes the tag with this key, if present, keeping the order
// of the others.
func (m *Message) DeleteTag(key string) {
	m.Tags = slices.DeleteFunc(m.Tags, func(t Tag) bool { return t.Key == key })
	if len(m.Tags) == 0 {
		m.Tags = nil
	}
}

// Clone returns a copy of m that shares no memory with it (strings are
// immutable and stay shared).
func (m Message) Clone() Message {
	m.Tags = slices.Clone(m.Tags)
	m.Params = slices.Clone(m.Params)
	return m
}

// ValidUTF8 reports whether the source, the command, every parameter and
// every tag key and value are valid UTF-8. Parse does not check this (IRC
// is bytes); the gateway does before text enters Parley. See the package
// documentation.
func (m Message) ValidUTF8() bool {
	if !utf8.ValidString(m.Source) || !utf8.ValidString(m.Command) {
		return false
	}
	for _, p := range m.Params {
		if !utf8.ValidString(p) {
			return false
		}
	}
	for _, t := range m.Tags {
		if !utf8.ValidString(t.Key) || !utf8.ValidString(t.Value) {
			return false
		}
	}
	return true
}
