package irc

import (
	"context"
	"strconv"
	"strings"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
)

// topicLookback is how many recent lines are searched for the notice
// that set the current topic (RPL_TOPICWHOTIME).
const topicLookback = 200

// sendTopic sends RPL_TOPIC and RPL_TOPICWHOTIME for a room with a topic:
// who set it and when come from the newest "X set the topic: T" notice
// among the recent lines, else the server and the room's creation.
func (c *conn) sendTopic(ctx context.Context, r parley.Room) {
	c.reply(ircmsg.RPL_TOPIC, channel(r.Name), r.Topic)
	who, at := c.s.cfg.ServerName, r.Created
	if msgs, err := c.s.cfg.Store.Before(ctx, r.Name, 0, topicLookback); err == nil {
		for i := len(msgs) - 1; i >= 0; i-- {
			m := msgs[i]
			if m.Kind == parley.KindNotice && strings.HasPrefix(m.Text, m.From+" set the topic: ") {
				if strings.TrimPrefix(m.Text, m.From+" set the topic: ") == r.Topic {
					who, at = c.s.source(m.From), m.Time
				}
				break
			}
		}
	}
	c.reply(ircmsg.RPL_TOPICWHOTIME, channel(r.Name), who, strconv.FormatInt(at.Unix(), 10))
}
