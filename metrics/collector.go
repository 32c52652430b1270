package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	connectionsOpen = desc("parley_connections_open",
		"Open client connections, by transport (sse, ws, poll: polls held, irc).", "transport")
	connectionsTotal = desc("parley_connections_total",
		"Client connections admitted, by transport.", "transport")
	disconnectionsTotal = desc("parley_disconnections_total",
		"Client connections ended, by transport.", "transport")
	connectionsRefused = desc("parley_connections_refused_total",
		"Client connections refused by a cap, by transport and reason (per_client: the address held its share; full: the transport held its total).", "transport", "reason")

	eventsDelivered = desc("parley_events_delivered_total",
		"Events sent to clients, replayed or live, by transport.", "transport")
	queueOverflows = desc("parley_queue_overflows_total",
		"Subscribers whose queue filled up, by transport: their events were dropped and read again from the store.", "transport")
	slowConsumers = desc("parley_slow_consumers_total",
		"Clients cut off for not taking what they were sent, by transport; they resume from their cursor.", "transport")
	subscriptions = desc("parley_hub_subscriptions",
		"Live subscriptions in the node's fan-out hub.")
	pollSessions = desc("parley_poll_sessions",
		"Long-poll sessions alive, between polls too, until their lease lapses.")

	auditEvents = desc("parley_audit_events_total",
		"Audit records made: logins, refusals, revocations, administrative actions; by action and outcome.", "action", "outcome")
	loginFailures = desc("parley_login_failures_total",
		"Password logins refused for a wrong name or password, by where (web, irc).", "via")
	loginLockouts = desc("parley_login_lockouts_total",
		"Password logins refused because the name or address was locked out after failures, by where (web, irc).", "via")

	webhooksSent = desc("parley_webhooks_sent_total",
		"Webhook payloads the receiver accepted (2xx).")
	webhookFailures = desc("parley_webhook_failures_total",
		"Webhook attempts that failed (error, timeout or a non-2xx status); each is retried unless the payload is dropped.")
	webhookRetries = desc("parley_webhook_retries_total",
		"Failed webhook attempts scheduled to be tried again.")
	webhooksDropped = desc("parley_webhooks_dropped_total",
		"Webhook payloads given up, by reason (full: the queue was full; exhausted: every attempt failed; rejected: a status that is not retried; closed: the server stopped).", "reason")
	webhooksPending = desc("parley_webhooks_pending",
		"Webhook payloads held: queued, in flight or waiting for a retry.")

	brokerConnected = desc("parley_cluster_broker_connected",
		"1 while this cluster node is connected to the broker (NATS), else 0.")
	gapFills = desc("parley_cluster_gap_fills_total",
		"Events this node read from the store because the broker did not bring them in time.")
	storeErrors = desc("parley_store_errors_total",
		"Failed store operations outside posting, by operation (gap_fill: reading events the broker did not bring).", "operation")
	eventsReceived = desc("parley_cluster_events_received_total",
		"Events this node received from other nodes over NATS (routed by interest: only the shards it follows).")
	natsMessages = desc("parley_cluster_nats_messages_received_total",
		"NATS messages this node received: event batches, announcements, signals and presence.")
	shardsFollowed = desc("parley_cluster_shards_followed",
		"Shards whose events this node receives over NATS (routed to all nodes: every shard).")
	sequencerLag = desc("parley_cluster_sequencer_lag",
		"Event IDs this node knows of but has not yet delivered, waiting for a gap below them to fill.")
)

// nodeCollector reads Source when scraped.
type nodeCollector struct{ src Source }

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		connectionsOpen, connectionsTotal, disconnectionsTotal, connectionsRefused,
		eventsDelivered, queueOverflows, slowConsumers, subscriptions, pollSessions,
		auditEvents, loginFailures, loginLockouts,
		webhooksSent, webhookFailures, webhookRetries, webhooksDropped, webhooksPending,
		brokerConnected, gapFills, storeErrors, sequencerLag,
	} {
		ch <- d
	}
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	if c.src.Connections != nil {
		for t, s := range c.src.Connections() {
			gauge(connectionsOpen, float64(s.Open), t)
			counter(connectionsTotal, s.Opened, t)
			counter(disconnectionsTotal, s.Closed, t)
			counter(connectionsRefused, s.RefusedClient, t, "per_client")
			counter(connectionsRefused, s.RefusedFull, t, "full")
		}
	}
	if c.src.Delivery != nil {
		for t, s := range c.src.Delivery() {
			counter(eventsDelivered, s.Delivered, t)
			counter(queueOverflows, s.Overflows, t)
			counter(slowConsumers, s.CutOff, t)
		}
	}
	if c.src.Subscribers != nil {
		gauge(subscriptions, float64(c.src.Subscribers()))
	}
	if c.src.PollSessions != nil {
		gauge(pollSessions, float64(c.src.PollSessions()))
	}
	if c.src.Audit != nil {
		logins := map[string]map[string]uint64{"failed": {"web": 0, "irc": 0}, "refused": {"web": 0, "irc": 0}}
		for _, a := range c.src.Audit() {
			counter(auditEvents, uint64(a.N), a.Action, a.Outcome)
			via := map[string]string{"login": "web", "login.irc": "irc"}[a.Action]
			if byVia, ok := logins[a.Outcome]; ok && via != "" {
				byVia[via] += uint64(a.N)
			}
		}
		for via, n := range logins["failed"] {
			counter(loginFailures, n, via)
		}
		for via, n := range logins["refused"] {
			counter(loginLockouts, n, via)
		}
	}
	if c.src.Webhooks != nil {
		s := c.src.Webhooks()
		counter(webhooksSent, s.Delivered)
		counter(webhookFailures, s.FailedAttempts)
		counter(webhookRetries, s.Retries)
		counter(webhooksDropped, s.DroppedFull, "full")
		counter(webhooksDropped, s.DroppedExhausted, "exhausted")
		counter(webhooksDropped, s.DroppedRejected, "rejected")
		counter(webhooksDropped, s.DroppedClosed, "closed")
		gauge(webhooksPending, float64(s.Pending))
	}
	if c.src.Cluster != nil {
		s := c.src.Cluster()
		connected := 0.0
		if s.BrokerConnected {
			connected = 1
		}
		gauge(brokerConnected, connected)
		counter(gapFills, s.GapFills)
		counter(storeErrors, s.GapFillErrors, "gap_fill")
		gauge(sequencerLag, float64(s.SequencerLag))
		counter(eventsReceived, s.EventsReceived)
		counter(natsMessages, s.NATSMessages)
		gauge(shardsFollowed, float64(s.ShardsFollowed))
	}
}
