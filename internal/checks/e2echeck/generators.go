package e2echeck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/benchrun"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/docker"
)

// generatorServices are the compose services the load generator runs as.
var generatorServices = map[string]bool{"loadtest": true, "loadtest-local": true, benchrun.OriginalLocalGenerator: true}

// LeftGenerators picks the generator containers out of cs: one-off
// containers of the loadtest services, and any container whose name the
// bench gives its generators (benchrun.GeneratorContainerPrefix), running or
// not. After a bench, finished or interrupted, there must be none: every
// run is `docker compose run --rm`, and an interrupted one removes its
// container by name.
func LeftGenerators(cs []docker.Container) []docker.Container {
	var left []docker.Container
	for _, c := range cs {
		if (c.OneOff() && generatorServices[c.Service()]) || strings.HasPrefix(strings.TrimPrefix(c.Name, "/"), benchrun.GeneratorContainerPrefix) {
			left = append(left, c)
		}
	}
	return left
}

// Generators lists the generator containers left on the engine: those of
// the project, and those named by the bench whatever their project.
func (d Stack) Generators(ctx context.Context) ([]docker.Container, error) {
	cs, err := d.Containers(ctx)
	if err != nil {
		return nil, err
	}
	named, err := d.Inspect(ctx, "ps", "-aq", "--no-trunc", "--filter", "name="+benchrun.GeneratorContainerPrefix)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var all []docker.Container
	for _, c := range append(cs, named...) {
		if !seen[c.ID] {
			seen[c.ID] = true
			all = append(all, c)
		}
	}
	return LeftGenerators(all), nil
}

// CheckNoGenerators fails naming every generator container left.
func (d Stack) CheckNoGenerators(ctx context.Context) error {
	left, err := d.Generators(ctx)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		var names []string
		for _, c := range left {
			names = append(names, strings.TrimPrefix(c.Name, "/")+" "+c.String())
		}
		return fmt.Errorf("generator containers left: %s", strings.Join(names, ", "))
	}
	return nil
}

// CheckInterrupted checks the results folder of a bench stopped by a
// signal: summary.json says interrupted (by what), the INTERRUPTED marker is
// there, and summary.md carries the banner.
func CheckInterrupted(dir string) (string, error) {
	s, err := report.Load(dir)
	if err != nil {
		return "", err
	}
	var bad []string
	if !s.Interrupted || s.InterruptedBy == "" {
		bad = append(bad, fmt.Sprintf("summary.json: interrupted %v (by %q)", s.Interrupted, s.InterruptedBy))
	}
	if b, err := os.ReadFile(filepath.Join(dir, benchrun.InterruptedMarker)); err != nil || len(b) == 0 {
		bad = append(bad, fmt.Sprintf("no %s marker (%v)", benchrun.InterruptedMarker, err))
	}
	if md, err := os.ReadFile(filepath.Join(dir, "summary.md")); err != nil || !strings.Contains(string(md), "**INTERRUPTED**") {
		bad = append(bad, fmt.Sprintf("summary.md has no INTERRUPTED banner (%v)", err))
	}
	if len(bad) > 0 {
		return "", fmt.Errorf("interrupted run %s:\n  %s", dir, strings.Join(bad, "\n  "))
	}
	return fmt.Sprintf("interrupted by %s after %d cell(s), marked", s.InterruptedBy, len(s.Cells)), nil
}
