package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/macrobench/macrobench/internal/lab/dashboards/grafanaids"
)

// DashboardUID is the lab's provisioned benchmark dashboard.
const DashboardUID = grafanaids.BenchmarkDashboardUID

// ErrNoGrafanaCredential: no credential for Grafana's API is set, so no
// annotation is posted (there is no default: never admin/admin).
var ErrNoGrafanaCredential = errors.New("grafana annotation: no credential (set GRAFANA_TOKEN, a service account token, or GRAFANA_ADMIN_PASSWORD)")

// grafanaAuth sets the credential the user gave: $GRAFANA_TOKEN (a service
// account token, as a bearer token), else $GRAFANA_USER (default admin) with
// $GRAFANA_PASSWORD, else with $GRAFANA_ADMIN_PASSWORD (the one compose gives
// Grafana's admin). None set: ErrNoGrafanaCredential.
func grafanaAuth(req *http.Request) error {
	if tok := os.Getenv("GRAFANA_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
	pass := envOr("GRAFANA_PASSWORD", os.Getenv("GRAFANA_ADMIN_PASSWORD"))
	if pass == "" {
		return ErrNoGrafanaCredential
	}
	req.SetBasicAuth(envOr("GRAFANA_USER", "admin"), pass)
	return nil
}

// GrafanaCredentialNotice is the one line the bench prints when annotations
// are skipped for want of a credential ("" when one is set).
func GrafanaCredentialNotice() string {
	req, _ := http.NewRequest(http.MethodGet, "http://grafana", nil)
	if err := grafanaAuth(req); err != nil {
		return "bench: Grafana annotations skipped, " + err.Error()
	}
	return ""
}

// Annotate marks a scenario's window on Grafana (region annotation, tagged
// macrobench), with the credential grafanaAuth finds; without one it posts
// nothing and returns ErrNoGrafanaCredential.
func Annotate(ctx context.Context, grafanaURL, text string, tags []string, start, end time.Time) error {
	body, _ := json.Marshal(map[string]any{
		"time": start.UnixMilli(), "timeEnd": end.UnixMilli(),
		"tags": append([]string{grafanaids.AnnotationTag}, tags...), "text": text,
	})
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, grafanaURL+"/api/annotations", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := grafanaAuth(req); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("grafana annotation: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("grafana annotation: status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}
