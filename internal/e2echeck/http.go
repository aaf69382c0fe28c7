package e2echeck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/agentscontract"
)

var client = &http.Client{Timeout: 5 * time.Second}

func get(ctx context.Context, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// agentKeys are the columns of the agents query, sorted.
var agentKeys = slices.Sorted(slices.Values(agentscontract.Columns[:]))

// CheckEndpoints asks the app at base for its three endpoints and checks
// their bodies against the seed: {"hello":"world"} and the 50 agents
// "300".."349".
func CheckEndpoints(ctx context.Context, base string) error {
	code, b, err := get(ctx, base+"/index")
	if err != nil {
		return fmt.Errorf("/index: %v", err)
	}
	var idx map[string]any
	if code != 200 || json.Unmarshal(b, &idx) != nil || !reflect.DeepEqual(idx, map[string]any{"hello": "world"}) {
		return fmt.Errorf("/index: status %d, body %.200q; want 200 {\"hello\":\"world\"}", code, b)
	}
	for _, p := range []string{"/agents", "/agents_with_pool"} {
		code, b, err := get(ctx, base+p)
		if err != nil {
			return fmt.Errorf("%s: %v", p, err)
		}
		if code != 200 {
			return fmt.Errorf("%s: status %d, body %.200q; want 200", p, code, b)
		}
		if err := checkAgents(b); err != nil {
			return fmt.Errorf("%s: %v", p, err)
		}
	}
	return nil
}

func checkAgents(b []byte) error {
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		return fmt.Errorf("body is not a JSON array of objects: %v", err)
	}
	if len(rows) != agentscontract.SeedAgents {
		return fmt.Errorf("%d agents, want %d", len(rows), agentscontract.SeedAgents)
	}
	seen := map[string]bool{}
	for i, r := range rows {
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !reflect.DeepEqual(keys, agentKeys) {
			return fmt.Errorf("agent %d has keys %v, want %v", i, keys, agentKeys)
		}
		n, _ := r["number"].(string)
		seen[n] = true
	}
	for _, a := range agentscontract.Seeded() {
		if n := a.Number; !seen[n] {
			return fmt.Errorf("agent number %s missing", n)
		}
	}
	return nil
}

// Target is one active target of Prometheus's /api/v1/targets.
type Target struct {
	ScrapePool string `json:"scrapePool"`
	ScrapeURL  string `json:"scrapeUrl"`
	Health     string `json:"health"`
	LastError  string `json:"lastError"`
}

// Targets returns Prometheus's active targets.
func Targets(ctx context.Context, promURL string) ([]Target, error) {
	code, b, err := get(ctx, promURL+"/api/v1/targets?state=active")
	if err != nil {
		return nil, err
	}
	if code != 200 {
		return nil, fmt.Errorf("/api/v1/targets: status %d: %.200q", code, b)
	}
	var r struct {
		Status string
		Data   struct {
			ActiveTargets []Target `json:"activeTargets"`
		}
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Status != "success" {
		return nil, fmt.Errorf("/api/v1/targets: bad answer %.200q", b)
	}
	return r.Data.ActiveTargets, nil
}

// TargetsUp checks that each job in want has targets and all of them are
// up; the jobs in ignore (the load generator, up only while it runs) may be
// down. Any other job is an error, so a target added to prometheus.yml is
// checked too.
func TargetsUp(ts []Target, want, ignore []string) error {
	byJob := map[string][]Target{}
	for _, t := range ts {
		byJob[t.ScrapePool] = append(byJob[t.ScrapePool], t)
	}
	var bad []string
	for _, j := range want {
		if len(byJob[j]) == 0 {
			bad = append(bad, j+": no target")
		}
	}
	skip := map[string]bool{}
	for _, j := range ignore {
		skip[j] = true
	}
	for j, jts := range byJob {
		if skip[j] {
			continue
		}
		for _, t := range jts {
			if t.Health != "up" {
				bad = append(bad, fmt.Sprintf("%s %s: %s %s", j, t.ScrapeURL, t.Health, t.LastError))
			}
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("prometheus targets: %s", strings.Join(bad, "; "))
	}
	return nil
}

// WaitTargetsUp polls Prometheus until TargetsUp holds (a new target is
// "unknown" until its first scrape) or the timeout passes.
func WaitTargetsUp(ctx context.Context, promURL string, timeout time.Duration, want, ignore []string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ts, err := Targets(ctx, promURL)
		if err == nil {
			if err = TargetsUp(ts, want, ignore); err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %s: %v", timeout, err)
		case <-time.After(2 * time.Second):
		}
	}
}
