package evidence

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
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
	fams, err := e.read(ctx)
	if err != nil {
		return DBSnapshot{}, err
	}
	return exporterSnapshot(fams)
}

func (e *exporter) setting(ctx context.Context, name string) (string, error) {
	fams, err := e.read(ctx)
	if err != nil {
		return "", err
	}
	return exporterSetting(fams, name)
}

// read is one read of the exporter's /metrics, parsed.
func (e *exporter) read(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("postgres-exporter: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, fmt.Errorf("postgres-exporter: %s: status %d: %s", e.url, resp.StatusCode, b)
	}
	return parseExposition(resp.Body)
}

func parseExposition(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("postgres-exporter metrics: %w", err)
	}
	return fams, nil
}

// ParseExporterSnapshot reads the macrobench_db_* metrics (calls, sessions:
// counters; active, backends: gauges) from an exporter's text exposition;
// one missing (its query failed) is an error, never a zero.
func ParseExporterSnapshot(r io.Reader) (DBSnapshot, error) {
	fams, err := parseExposition(r)
	if err != nil {
		return DBSnapshot{}, err
	}
	return exporterSnapshot(fams)
}

// ParseExporterSetting reads setting name (one of RecordedSettings) from
// the labels of macrobench_settings_info in an exporter's text exposition.
func ParseExporterSetting(r io.Reader, name string) (string, error) {
	fams, err := parseExposition(r)
	if err != nil {
		return "", err
	}
	return exporterSetting(fams, name)
}

func exporterSetting(fams map[string]*dto.MetricFamily, name string) (string, error) {
	const family = "macrobench_settings_info"
	fam := fams[family]
	if fam == nil || len(fam.GetMetric()) != 1 {
		return "", fmt.Errorf("postgres-exporter: no single %s (its macrobench_settings query failed? see pg_exporter_last_scrape_error)", family)
	}
	for _, l := range fam.GetMetric()[0].GetLabel() {
		if l.GetName() == name {
			return l.GetValue(), nil
		}
	}
	return "", fmt.Errorf("postgres-exporter: %s has no label %s", family, name)
}

func exporterSnapshot(fams map[string]*dto.MetricFamily) (DBSnapshot, error) {
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
