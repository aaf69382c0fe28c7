package evidence

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// exporter reads DBSnapshot from postgres-exporter's /metrics: the
// macrobench_db_* metrics of postgres/exporter/queries.yaml, the same query
// as DB.Snapshot's, run by the exporter at every read (so a read is the
// database's state then, not a scrape's). For a cluster that opens no
// database port (swarm).
type exporter struct {
	url    string
	client *http.Client
}

// OpenExporter reads the database's snapshot through postgres-exporter at
// baseURL (http://host:9187) and checks it is there.
func OpenExporter(ctx context.Context, baseURL string) (*DB, error) {
	d := &DB{exporter: &exporter{url: baseURL + "/metrics", client: &http.Client{Timeout: 10 * time.Second}}}
	if _, err := d.Snapshot(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

func (e *exporter) snapshot(ctx context.Context) (DBSnapshot, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
	if err != nil {
		return DBSnapshot{}, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := e.client.Do(req)
	if err != nil {
		return DBSnapshot{}, fmt.Errorf("postgres-exporter: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return DBSnapshot{}, fmt.Errorf("postgres-exporter: %s: status %d: %s", e.url, resp.StatusCode, b)
	}
	return ParseExporterSnapshot(resp.Body)
}

// ParseExporterSnapshot reads the macrobench_db_* metrics (calls, sessions:
// counters; active, backends: gauges) from an exporter's text exposition;
// one missing (its query failed) is an error, never a zero.
func ParseExporterSnapshot(r io.Reader) (DBSnapshot, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return DBSnapshot{}, fmt.Errorf("postgres-exporter metrics: %w", err)
	}
	var s DBSnapshot
	for _, f := range []struct {
		name string
		v    *int64
	}{{"macrobench_db_calls", &s.Calls}, {"macrobench_db_sessions", &s.Sessions}, {"macrobench_db_active", &s.Active}, {"macrobench_db_backends", &s.Backends}} {
		fam := fams[f.name]
		if fam == nil || len(fam.GetMetric()) != 1 {
			return DBSnapshot{}, fmt.Errorf("postgres-exporter: no single %s (its macrobench_db query failed? see pg_exporter_last_scrape_error)", f.name)
		}
		m := fam.GetMetric()[0]
		switch {
		case m.GetCounter() != nil:
			*f.v = int64(m.GetCounter().GetValue())
		case m.GetGauge() != nil:
			*f.v = int64(m.GetGauge().GetValue())
		default:
			*f.v = int64(m.GetUntyped().GetValue())
		}
	}
	return s, nil
}
