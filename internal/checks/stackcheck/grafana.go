package stackcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/lab/dashboards/grafanaids"
)

// CheckGrafana checks a running Grafana (the compose stack's, for instance)
// the way a user would find it: healthy, the Prometheus datasource working,
// and every dashboard provisioned under its uid. Anonymous access is enough;
// user/password are used when user is not empty.
func CheckGrafana(ctx context.Context, baseURL, user, password string, dashboards []Dashboard) error {
	get := func(path string, out any) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+path, nil)
		if err != nil {
			return err
		}
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("grafana %s: %w", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("grafana %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
		}
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("grafana %s: %w", path, err)
		}
		return nil
	}

	var errs []error
	var health struct{ Database string }
	if err := get("/api/health", &health); err != nil {
		return err
	} else if health.Database != "ok" {
		errs = append(errs, fmt.Errorf("grafana /api/health: database %q", health.Database))
	}
	var ds struct{ Status, Message string }
	if err := get("/api/datasources/uid/"+grafanaids.DatasourceUID+"/health", &ds); err != nil {
		errs = append(errs, err)
	} else if ds.Status != "OK" {
		errs = append(errs, fmt.Errorf("grafana datasource %q: %s: %s", grafanaids.DatasourceUID, ds.Status, ds.Message))
	}
	for _, d := range dashboards {
		var got struct {
			Dashboard struct{ UID, Title string }
			Meta      struct{ Provisioned bool }
		}
		if err := get("/api/dashboards/uid/"+d.UID, &got); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.File, err))
			continue
		}
		if !got.Meta.Provisioned {
			errs = append(errs, fmt.Errorf("%s: dashboard %q exists in Grafana but was not provisioned from the file", d.File, d.UID))
		}
	}
	return errors.Join(errs...)
}
