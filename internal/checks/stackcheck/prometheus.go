package stackcheck

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/prometheus/config"
)

// PrometheusFile is prometheus.yml's path in the repository.
const PrometheusFile = "prometheus/prometheus.yml"

// Jobs are the scrape jobs the dashboards and the bench runner rely on.
var Jobs = []string{"app", "loadtest", "postgres", "prometheus"}

// MaxScrapeInterval bounds every job's scrape interval: a 30 s scenario must
// be more than a handful of points.
const MaxScrapeInterval = 5 * time.Second

// LoadPrometheus loads a Prometheus configuration file with Prometheus's own
// loader (defaults applied, unknown fields rejected).
func LoadPrometheus(path string) (*config.Config, error) {
	cfg, err := config.LoadFile(path, false, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// CheckPrometheus checks what the lab needs of the loaded configuration;
// file names the file in the errors.
func CheckPrometheus(cfg *config.Config, file string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", file, field, fmt.Sprintf(format, args...)))
	}
	var jobs []string
	for i, sc := range cfg.ScrapeConfigs {
		field := fmt.Sprintf("scrape_configs[%d] (job %q)", i, sc.JobName)
		jobs = append(jobs, sc.JobName)
		if d := time.Duration(sc.ScrapeInterval); d > MaxScrapeInterval {
			bad(field+".scrape_interval", "%s, want at most %s", d, MaxScrapeInterval)
		}
		if !sc.ScrapeNativeHistogramsEnabled() {
			bad(field+".scrape_native_histograms", "native histograms are not scraped (set it, or global.scrape_native_histograms, to true)")
		}
		if !sc.AlwaysScrapeClassicHistogramsEnabled() {
			bad(field+".always_scrape_classic_histograms", "classic buckets are dropped when a native histogram exists (set it, or the global one, to true)")
		}
	}
	for _, want := range Jobs {
		if !slices.Contains(jobs, want) {
			bad("scrape_configs", "no job %q", want)
		}
	}
	// Alerting rules on a target that is down between scenarios would storm.
	if len(cfg.RuleFiles) > 0 {
		bad("rule_files", "the lab has no rules: a down load generator must stay quiet")
	}
	return errors.Join(errs...)
}

// PrometheusReleaseOfModule maps the Go module version of
// github.com/prometheus/prometheus to the release (and image tag) it is:
// v0.316.0 is v3.16.0 (major × 100 + minor in the module's minor).
func PrometheusReleaseOfModule(v string) (string, error) {
	var minor, patch int
	if _, err := fmt.Sscanf(v, "v0.%d.%d", &minor, &patch); err != nil || minor < 100 {
		return "", fmt.Errorf("Prometheus module version %q is not of the form v0.MMM.P", v)
	}
	return fmt.Sprintf("v%d.%d.%d", minor/100, minor%100, patch), nil
}
