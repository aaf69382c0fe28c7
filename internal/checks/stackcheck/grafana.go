package stackcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/lab/dashboards/grafanaids"
)

// CheckGrafana checks a running Grafana (the compose stack's, for instance)
// the way a user would find it: healthy and of the given version (compose's
// image tag; empty: any), the Prometheus datasource working, and every
// dashboard provisioned (from its file, when Grafana names it in
// meta.provisionedExternalId) with that file's title and panel ids.
// Anonymous access is enough; user/password are used when user is not empty.
func CheckGrafana(ctx context.Context, baseURL, user, password, version string, dashboards []Dashboard) error {
	get := func(api string, out any) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+api, nil)
		if err != nil {
			return err
		}
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("grafana %s: %w", api, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("grafana %s: %s: %s", api, resp.Status, strings.TrimSpace(string(body)))
		}
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("grafana %s: %w", api, err)
		}
		return nil
	}

	var errs []error
	var health struct{ Database, Version string }
	if err := get("/api/health", &health); err != nil {
		return err
	}
	if health.Database != "ok" {
		errs = append(errs, fmt.Errorf("grafana /api/health: database %q", health.Database))
	}
	if version != "" && health.Version != version {
		errs = append(errs, fmt.Errorf("grafana /api/health: version %q, want %s (compose.yaml's image)", health.Version, version))
	}
	var ds struct{ Status, Message string }
	if err := get("/api/datasources/uid/"+grafanaids.DatasourceUID+"/health", &ds); err != nil {
		errs = append(errs, err)
	} else if ds.Status != "OK" {
		errs = append(errs, fmt.Errorf("grafana datasource %q: %s: %s", grafanaids.DatasourceUID, ds.Status, ds.Message))
	}
	for _, d := range dashboards {
		var got struct {
			Dashboard struct {
				UID, Title string
				Panels     []struct{ ID int }
			}
			Meta struct {
				Provisioned           bool
				ProvisionedExternalID string `json:"provisionedExternalId"`
			}
		}
		if err := get("/api/dashboards/uid/"+d.UID, &got); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.File, err))
			continue
		}
		// The external id is the file's path under the provider's folder;
		// should a version leave it empty, the title and panels below still
		// tell a stale copy.
		ext := got.Meta.ProvisionedExternalID
		if !got.Meta.Provisioned || (ext != "" && path.Base(ext) != filepath.Base(d.File)) {
			errs = append(errs, fmt.Errorf("%s: dashboard %q in Grafana was not provisioned from this file (provisioned %v, from %q)",
				d.File, d.UID, got.Meta.Provisioned, got.Meta.ProvisionedExternalID))
		}
		var ids, want []int
		for _, p := range got.Dashboard.Panels {
			ids = append(ids, p.ID)
		}
		for _, p := range d.doc.Panels {
			if p.ID != nil {
				want = append(want, *p.ID)
			}
		}
		if got.Dashboard.Title != d.Title || !slices.Equal(ids, want) {
			errs = append(errs, fmt.Errorf("%s: Grafana serves %q with panels %v, the file has %q with %v (an older copy?)",
				d.File, got.Dashboard.Title, ids, d.Title, want))
		}
	}
	return errors.Join(errs...)
}
