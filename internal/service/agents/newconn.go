package agents

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/macrobench/macrobench/internal/service/buckets"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// Metrics describe /agents' per-request connections.
type Metrics struct {
	Opened          prometheus.Counter
	ConnectErrors   prometheus.Counter
	ConnectDuration prometheus.Histogram
	Waiting         prometheus.Gauge
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Opened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "app_agents_connections_opened_total",
			Help: "PostgreSQL connections opened by /agents (one per request).",
		}),
		ConnectErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "app_agents_connect_errors_total",
			Help: "Failed connection attempts on /agents.",
		}),
		ConnectDuration: prometheus.NewHistogram(buckets.Opts(
			"app_agents_connect_duration_seconds",
			"Time to open one PostgreSQL connection on /agents (dial, startup, authentication), successful attempts.")),
		Waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "app_agents_newconn_waiting",
			Help: "/agents requests waiting for a new-connection slot (APP_NEWCONN_LIMIT).",
		}),
	}
	reg.MustRegister(m.Opened, m.ConnectErrors, m.ConnectDuration, m.Waiting)
	return m
}

// NewConn runs agentscontract.Query on a new connection per call, at most limit at a time.
type NewConn struct {
	connector *Connector
	slots     chan struct{}
	m         *Metrics
}

// NewNewConn caps concurrent connections at limit (below the server's
// max_connections, so bursts queue here instead of failing there).
func NewNewConn(c *Connector, limit int, m *Metrics) *NewConn {
	return &NewConn{connector: c, slots: make(chan struct{}, limit), m: m}
}

// Agents waits for a slot (bounded by ctx), connects, queries, disconnects.
func (n *NewConn) Agents(ctx context.Context, buf []byte) ([]byte, error) {
	select {
	case n.slots <- struct{}{}:
	default:
		n.m.Waiting.Inc()
		select {
		case n.slots <- struct{}{}:
			n.m.Waiting.Dec()
		case <-ctx.Done():
			n.m.Waiting.Dec()
			return buf, fmt.Errorf("waiting for a connection slot: %w", ctx.Err())
		}
	}
	defer func() { <-n.slots }()

	start := time.Now()
	dc, err := n.connector.Connect(ctx)
	if err != nil {
		n.m.ConnectErrors.Inc()
		return buf, err
	}
	n.m.ConnectDuration.Observe(time.Since(start).Seconds())
	n.m.Opened.Inc()
	defer dc.Close()

	rows, err := dc.(driver.QueryerContext).QueryContext(ctx, agentscontract.Query, nil)
	if err != nil {
		return buf, err
	}
	return appendRows(buf, rows)
}
