package evidence

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/promapi"
)

// Prom reads a scenario's window back from Prometheus (internal/shared/promapi).
type Prom struct {
	c   *promapi.Client
	Job string // scrape job of the app ("app")
}

// NewProm connects to the Prometheus at url.
func NewProm(url string) (*Prom, error) {
	c, err := promapi.New(url)
	if err != nil {
		return nil, err
	}
	return &Prom{c: c, Job: "app"}, nil
}

// Ready checks Prometheus answers and scrapes the app job.
func (p *Prom) Ready(ctx context.Context) error {
	ts, err := p.c.ActiveTargets(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if string(t.Labels["job"]) == p.Job {
			return nil
		}
	}
	return fmt.Errorf("prometheus has no active target of job %q", p.Job)
}

// ScrapeAfter waits until Prometheus has scraped the app at or after t and
// returns that scrape's time.
func (p *Prom) ScrapeAfter(ctx context.Context, t time.Time, max time.Duration) (time.Time, error) {
	deadline := time.Now().Add(max)
	for {
		ts, err := p.c.ActiveTargets(ctx)
		if err != nil {
			return time.Time{}, err
		}
		for _, tg := range ts {
			if string(tg.Labels["job"]) == p.Job && !tg.LastScrape.Before(t) {
				if tg.Health != v1.HealthGood {
					return time.Time{}, fmt.Errorf("prometheus: app target %s is %s: %s", tg.ScrapeURL, tg.Health, tg.LastError)
				}
				return tg.LastScrape, nil
			}
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("prometheus did not scrape job %q within %s after the run", p.Job, max)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Window returns what Prometheus recorded for route between the last scrape
// at or before start and the first scrape at or after drained: requests by
// status code (counter at that scrape minus counter at the last scrape
// before start) and the server-side p50/p99 of the same difference of
// histograms. The bench passes the moment the server was idle again after
// the run (not the generator's window end, when the server may still be
// answering the run's last requests), so that Prometheus's window covers
// what the app's own counters cover: like is compared with like.
func (p *Prom) Window(ctx context.Context, route string, start, drained time.Time) (*report.Prometheus, error) {
	q, err := p.ScrapeAfter(ctx, drained, 30*time.Second)
	if err != nil {
		return nil, err
	}
	q = q.Add(10 * time.Millisecond) // the scrape's samples carry its start time
	sel := fmt.Sprintf(`{route=%q,job=%q}`, route, p.Job)
	out := &report.Prometheus{WindowStart: start, WindowEnd: q, Requests: map[string]float64{}}
	// The "before" values are those of the last scrape at or before start.
	if ts, err := p.c.Scalar(ctx, fmt.Sprintf(`max(timestamp(up{job=%q}))`, p.Job), start); err == nil {
		out.WindowStart = time.UnixMilli(int64(ts * 1000))
	}
	after, err := p.byCode(ctx, "sum by (code) (app_http_requests_total"+sel+")", q)
	if err != nil {
		return nil, err
	}
	before, err := p.byCode(ctx, "sum by (code) (app_http_requests_total"+sel+")", start)
	if err != nil {
		return nil, err
	}
	for code, v := range after {
		if d := v - before[code]; d != 0 {
			out.Requests[code] = d
		}
	}
	// Native histograms first; classic buckets when Prometheus has none.
	at := func(expr string, t time.Time) string {
		return fmt.Sprintf("%s @ %d.%03d", expr, t.Unix(), t.Nanosecond()/1e6)
	}
	native := "app_http_request_duration_seconds" + sel
	nativeDiff := fmt.Sprintf("(sum(%s) - (sum(%s) or sum(%s) * 0))", at(native, q), at(native, start), at(native, q))
	bucket := "app_http_request_duration_seconds_bucket" + sel
	classicDiff := fmt.Sprintf("(sum by (le) (%s) - (sum by (le) (%s) or sum by (le) (%s) * 0))", at(bucket, q), at(bucket, start), at(bucket, q))
	for _, h := range []struct{ kind, diff string }{{"native", nativeDiff}, {"classic", classicDiff}} {
		p50, err1 := p.c.Scalar(ctx, fmt.Sprintf("histogram_quantile(0.5, %s)", h.diff), q)
		p99, err2 := p.c.Scalar(ctx, fmt.Sprintf("histogram_quantile(0.99, %s)", h.diff), q)
		if err1 == nil && err2 == nil {
			out.P50MS, out.P99MS, out.Histogram = p50*1000, p99*1000, h.kind
			return out, nil
		}
	}
	if len(out.Requests) == 0 {
		return out, nil // nothing happened in the window: no quantiles to give
	}
	return out, fmt.Errorf("prometheus: no app_http_request_duration_seconds histogram for route %s in the window", route)
}

func (p *Prom) byCode(ctx context.Context, expr string, t time.Time) (map[string]float64, error) {
	vec, err := p.c.Vector(ctx, expr, t)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, s := range vec {
		out[string(s.Metric["code"])] += float64(s.Value)
	}
	return out, nil
}
