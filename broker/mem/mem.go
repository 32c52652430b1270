// Package mem is the single-node Broker: it hands committed events straight
// to the local hub, in the order they are published.
package mem

import (
	"context"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/hub"
)

// Broker publishes to one in-process hub.
type Broker struct{ hub *hub.Hub }

var (
	_ parley.Broker    = (*Broker)(nil)
	_ parley.Signaller = (*Broker)(nil)
)

// New returns a broker that publishes to h.
func New(h *hub.Hub) *Broker { return &Broker{hub: h} }

// Publish implements parley.Broker.
func (b *Broker) Publish(_ context.Context, events []*parley.Event) error {
	for _, ev := range events {
		b.hub.Publish(ev)
	}
	return nil
}

// Signal implements parley.Signaller.
func (b *Broker) Signal(_ context.Context, ev *parley.Event) error {
	b.hub.Publish(ev)
	return nil
}
