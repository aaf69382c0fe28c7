package e2echeck

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/macrobench/macrobench/internal/shared/docker"
	"github.com/macrobench/macrobench/internal/shared/proc"
)

// probe is a bounded request loop against the app's database endpoints that
// counts answers per phase of the outage.
type probe struct {
	mu     sync.Mutex
	phase  string
	counts map[string]map[string]int // phase -> "path code" -> n
	last   map[string]int            // path -> last status (0: transport error)
}

func (p *probe) setPhase(s string) {
	p.mu.Lock()
	p.phase = s
	p.mu.Unlock()
}

func (p *probe) record(path string, code int, err error) {
	key := fmt.Sprintf("%s %d", path, code)
	if err != nil {
		key = path + " error"
		code = 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.counts[p.phase] == nil {
		p.counts[p.phase] = map[string]int{}
	}
	p.counts[p.phase][key]++
	p.last[path] = code
}

// lastAll reports whether the latest answer of every path had status code.
func (p *probe) lastAll(paths []string, code int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, path := range paths {
		if c, ok := p.last[path]; !ok || c != code {
			return false
		}
	}
	return true
}

func (p *probe) summary(phase string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var parts []string
	for k, n := range p.counts[phase] {
		parts = append(parts, fmt.Sprintf("%s x%d", k, n))
	}
	sort.Strings(parts)
	return phase + ": " + strings.Join(parts, ", ")
}

// codes returns the statuses seen in a phase other than the allowed ones.
func (p *probe) unexpected(phase string, allowed ...int) []string {
	ok := map[string]bool{}
	for _, c := range allowed {
		ok[fmt.Sprint(c)] = true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var bad []string
	for k, n := range p.counts[phase] {
		if !ok[k[strings.LastIndex(k, " ")+1:]] {
			bad = append(bad, fmt.Sprintf("%s x%d", k, n))
		}
	}
	sort.Strings(bad)
	return bad
}

var dbPaths = []string{"/agents", "/agents_with_pool"}

// Outage stops the postgres service while a light load (about 20 req/s on
// each database endpoint) runs, and checks that the app answers 503 while
// the database is gone, serves 200 again by itself once it is back, and that
// no container restarted or exited (postgres aside, which was stopped on
// purpose and must come back). logf reports progress.
func Outage(ctx context.Context, d Stack, appURL string, logf func(string, ...any)) error {
	before, err := d.Containers(ctx)
	if err != nil {
		return err
	}
	if err := CheckRunning(before); err != nil {
		return fmt.Errorf("before the outage: %v", err)
	}

	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	// "settling": the app may still be busy from the load before (the
	// bench); the steady "before" phase starts once both paths answer 200.
	p := &probe{phase: "settling", counts: map[string]map[string]int{}, last: map[string]int{}}
	var wg sync.WaitGroup
	for _, path := range dbPaths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				code, _, err := proc.HTTPGet(ctx, appURL+path)
				if ctx.Err() != nil {
					return
				}
				p.record(path, code, err)
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()

	// waitFor polls the probe until every path's latest answer is code.
	waitFor := func(code int, within time.Duration) error {
		deadline := time.Now().Add(within)
		for !p.lastAll(dbPaths, code) {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("no %d from %v within %s", code, dbPaths, within)
			}
			time.Sleep(100 * time.Millisecond)
		}
		return nil
	}

	if err := waitFor(200, 30*time.Second); err != nil {
		return fmt.Errorf("before the outage: %v (%s)", err, p.summary("settling"))
	}
	p.setPhase("before")
	time.Sleep(2 * time.Second)

	p.setPhase("stopping")
	logf("outage: docker compose stop postgres")
	if _, err := d.ComposeOutput(ctx, "stop", "postgres"); err != nil {
		return err
	}
	p.setPhase("down")
	if err := waitFor(503, 30*time.Second); err != nil {
		return fmt.Errorf("database stopped: %v (%s)", err, p.summary("down"))
	}
	time.Sleep(5 * time.Second) // a steady outage, not one answer

	p.setPhase("starting")
	logf("outage: docker compose start postgres")
	if _, err := d.ComposeOutput(ctx, "start", "postgres"); err != nil {
		return err
	}
	if err := d.WaitHealthy(ctx, 2*time.Minute, "postgres"); err != nil {
		return fmt.Errorf("postgres after restart: %v", err)
	}
	p.setPhase("recovering")
	if err := waitFor(200, 60*time.Second); err != nil {
		return fmt.Errorf("database back: %v (%s)", err, p.summary("recovering"))
	}
	p.setPhase("after")
	time.Sleep(3 * time.Second)
	cancel()
	wg.Wait()

	for _, ph := range []string{"settling", "before", "stopping", "down", "starting", "recovering", "after"} {
		logf("outage: %s", p.summary(ph))
	}
	// Steady phases must hold only the expected answers; the transitions
	// may mix 200 and 503 but nothing else (no transport errors, no 500s).
	checks := []struct {
		phase   string
		allowed []int
	}{
		{"before", []int{200}}, {"stopping", []int{200, 503}}, {"down", []int{503}},
		{"starting", []int{503, 200}}, {"recovering", []int{503, 200}}, {"after", []int{200}},
	}
	for _, c := range checks {
		if bad := p.unexpected(c.phase, c.allowed...); len(bad) > 0 {
			return fmt.Errorf("%s: unexpected answers %s (want only %v)", c.phase, strings.Join(bad, ", "), c.allowed)
		}
	}

	after, err := d.Containers(context.Background())
	if err != nil {
		return err
	}
	if err := CheckRunning(after); err != nil {
		return fmt.Errorf("after the outage: %v", err)
	}
	app0, _ := docker.ServiceContainer(before, "app")
	app1, ok := docker.ServiceContainer(after, "app")
	if !ok || app1.ID != app0.ID || app1.State.StartedAt != app0.State.StartedAt {
		return fmt.Errorf("the app container was replaced or restarted during the outage")
	}
	return nil
}
