package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/macrobench/macrobench/internal/grafanaids"
)

// DashboardUID is the lab's provisioned benchmark dashboard.
const DashboardUID = grafanaids.BenchmarkDashboardUID

// Annotate marks a scenario's window on Grafana (region annotation, tagged
// macrobench). Credentials: $GRAFANA_USER (admin) and $GRAFANA_PASSWORD, else
// $GRAFANA_ADMIN_PASSWORD, else Grafana's first-run admin/admin.
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
	pass := envOr("GRAFANA_PASSWORD", envOr("GRAFANA_ADMIN_PASSWORD", "admin"))
	req.SetBasicAuth(envOr("GRAFANA_USER", "admin"), pass)
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
