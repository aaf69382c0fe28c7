// Package promapi is the lab's one Prometheus client: client_golang's HTTP
// API (api/prometheus/v1) and the few reads the lab makes with it, the
// active targets, an instant vector or a single number, a range, the raw
// samples of a window, a label's values. The bench reads a run's window through it, e2echeck the targets,
// the stack checks' live test the dashboards' data. (The load generator
// never links it: loadtest/deps_test.go.)
package promapi

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Client reads one Prometheus server.
type Client struct {
	URL string
	API v1.API
}

// New is a client of the Prometheus at url (e.g. http://127.0.0.1:9090).
func New(url string) (*Client, error) {
	c, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", url, err)
	}
	return &Client{URL: url, API: v1.NewAPI(c)}, nil
}

// ActiveTargets are the targets Prometheus scrapes.
func (c *Client) ActiveTargets(ctx context.Context) ([]v1.ActiveTarget, error) {
	ts, err := c.API.Targets(ctx)
	if err != nil {
		return nil, fmt.Errorf("prometheus targets: %w", err)
	}
	return ts.Active, nil
}

// Vector evaluates expr at t to an instant vector.
func (c *Client) Vector(ctx context.Context, expr string, t time.Time) (model.Vector, error) {
	v, _, _, err := c.API.Query(ctx, expr, t)
	if err != nil {
		return nil, fmt.Errorf("prometheus query %s: %w", expr, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("prometheus query %s: got %s, want a vector", expr, v.Type())
	}
	return vec, nil
}

// Scalar evaluates expr at t to one finite float sample.
func (c *Client) Scalar(ctx context.Context, expr string, t time.Time) (float64, error) {
	vec, err := c.Vector(ctx, expr, t)
	if err != nil {
		return 0, err
	}
	if len(vec) != 1 || vec[0].Histogram != nil {
		return 0, fmt.Errorf("no single float sample for %s", expr)
	}
	f := float64(vec[0].Value)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s is %v", expr, f)
	}
	return f, nil
}

// Range evaluates expr over [start, end] every step.
func (c *Client) Range(ctx context.Context, expr string, start, end time.Time, step time.Duration) (model.Matrix, error) {
	v, _, _, err := c.API.QueryRange(ctx, expr, v1.Range{Start: start, End: end, Step: step})
	return matrix(v, err, "prometheus range query "+expr)
}

// matrix is a query's answer as a matrix, or an error naming what.
func matrix(v model.Value, err error, what string) (model.Matrix, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("%s: got %s, want a matrix", what, v.Type())
	}
	return m, nil
}

// Samples are the raw samples, as scraped, of selector (an instant-vector
// selector such as `up{job="x"}`) at times in [from, to], one series each:
// the range selector evaluated at to.
func (c *Client) Samples(ctx context.Context, selector string, from, to time.Time) (model.Matrix, error) {
	// Range selectors are left-open: one millisecond more keeps from in.
	expr := fmt.Sprintf("%s[%dms]", selector, to.Sub(from).Milliseconds()+1)
	v, _, _, err := c.API.Query(ctx, expr, to)
	return matrix(v, err, "prometheus query "+expr)
}

// LabelValues are the values label takes in any series.
func (c *Client) LabelValues(ctx context.Context, label string) ([]string, error) {
	vs, _, _, err := c.API.LabelValues(ctx, label, nil, time.Time{}, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("prometheus label values of %s: %w", label, err)
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out, nil
}
