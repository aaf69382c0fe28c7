package e2echeck

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/shared/promapi"
)

// CheckLiveGenerators: over the last lookback, Prometheus scraped at least
// two generator instances via the network (found by DNS, one per part) and
// a second part via localhost (app:9103), so the live view saw every
// generator of a --generators 2 bench, not one.
func CheckLiveGenerators(ctx context.Context, promURL string, lookback time.Duration) (string, error) {
	c, err := promapi.New(promURL)
	if err != nil {
		return "", err
	}
	expr := fmt.Sprintf(`group by (instance) (last_over_time(loadtest_running[%ds]))`, int(lookback.Seconds()))
	v, err := c.Vector(ctx, expr, time.Now())
	if err != nil {
		return "", fmt.Errorf("prometheus: %s: %v", expr, err)
	}
	var network, local []string
	for _, s := range v {
		inst := string(s.Metric["instance"])
		if strings.HasPrefix(inst, "app:") || strings.HasPrefix(inst, "original:") {
			local = append(local, inst)
		} else {
			network = append(network, inst)
		}
	}
	slices.Sort(network)
	slices.Sort(local)
	seen := fmt.Sprintf("via the network %v, via localhost %v", network, local)
	if len(network) < 2 || !slices.Contains(local, "app:9103") {
		return seen, fmt.Errorf("live view: Prometheus scraped generators %s; want at least two via the network and app:9103 (part 2 via localhost)", seen)
	}
	return seen, nil
}
