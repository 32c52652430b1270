// Package shard maps hub topics to the shards that a cluster routes by
// interest: a node follows the shards of the topics its subscribers hold,
// and receives from the broker only those shards' events and signals.
//
// A shard is a hash of the topic, so every node computes the same shard
// without asking anyone, and a room's events never change shard. There
// are Count shards, many more than rooms in most deployments, so that two
// rooms rarely share one and a node following a room receives almost
// nothing of rooms it does not serve.
package shard

import (
	"hash/fnv"
	"strings"

	"github.com/parley-chat/parley"
)

// Count is the number of shards. Every node of a cluster must agree on
// it: it is part of the wire protocol, not a setting.
const Count = 1 << 16

// ID names one shard, 0 to Count-1.
type ID = uint16

// Of returns the shard of a hub topic (a room, a user topic, a signal
// topic).
func Of(topic string) ID {
	h := fnv.New32a()
	_, _ = h.Write([]byte(topic)) // a hash never fails
	return ID(h.Sum32())
}

// Routed reports whether events or signals can be published to topic.
// Credential topics (parley.SessionTopic and its kind) are only ever
// disconnected on the node that holds them, so following them would only
// bring other rooms' events that share their shards.
func Routed(topic string) bool {
	for _, p := range []string{parley.SessionTopicPrefix, parley.KeyTopicPrefix, parley.ExpiryTopicPrefix, parley.PasswordTopicPrefix, parley.AccountTopic("")} {
		if strings.HasPrefix(topic, p) {
			return false
		}
	}
	return true
}

// OfEvent returns the shards an event must reach, each once: its room's
// and those of its Also topics (a direct message's user topics, a kicked
// user's). A signal reaches the shard of its Topic only.
func OfEvent(ev *parley.Event) []ID {
	if ev.Topic != "" {
		return []ID{Of(ev.Topic)}
	}
	out := []ID{Of(ev.Message.Room)}
	for _, t := range ev.Also {
		s := Of(t)
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []ID, s ID) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
