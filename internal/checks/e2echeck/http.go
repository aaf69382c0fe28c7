package e2echeck

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/macrobench/macrobench/internal/lab/benchrun"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/promapi"
)

// CheckEndpoints verifies the app at base as the bench does before any load
// (benchrun.Verify): each of its endpoints answers 200 with JSON headers and
// exactly the body the seed gives ({"hello":"world"}, the 50 agents).
func CheckEndpoints(ctx context.Context, base string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	for _, ep := range benchrun.DefaultEndpoints {
		if problems := benchrun.Verify(ctx, client, report.TargetApp, base, ep); len(problems) > 0 {
			return fmt.Errorf("%s: %s", ep, strings.Join(problems, "; "))
		}
	}
	return nil
}

// TargetsUp checks that each job in want has targets and all of them are
// up; the jobs in ignore (the load generator, up only while it runs) may be
// down. Any other job is an error, so a target added to prometheus.yml is
// checked too.
func TargetsUp(ts []v1.ActiveTarget, want, ignore []string) error {
	byJob := map[string][]v1.ActiveTarget{}
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
			if t.Health != v1.HealthGood {
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
	prom, err := promapi.New(promURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ts, err := prom.ActiveTargets(ctx)
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
