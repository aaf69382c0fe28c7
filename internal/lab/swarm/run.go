package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/lab/evidence"
	"github.com/macrobench/macrobench/internal/lab/merge"
	"github.com/macrobench/macrobench/internal/shared/proc"
	"github.com/macrobench/macrobench/internal/shared/promapi"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Record is a swarm run's record, swarm.json in its results folder.
type Record struct {
	Stack    string            `json:"stack"`
	RunID    string            `json:"run_id"`
	StartAt  time.Time         `json:"start_at"` // the common start of every part's window
	Replicas int               `json:"replicas"`
	Vars     map[string]string `json:"vars"` // swarm.yaml's generator variables: one replica's share
	Parts    []Part            `json:"parts"`
	Merged   string            `json:"merged,omitempty"` // the merged result's file
	// App is the app's own count of the endpoint's requests over the run,
	// from its /metrics before the job and after it (every task done, no
	// request left in the app's handlers).
	App AppCount `json:"app"`
	// PrometheusInstances is how many generator instances Prometheus
	// scraped for this run (loadtest_requests_total{run_id}), found by DNS
	// (tasks.loadtest); -1 when Prometheus could not be asked.
	PrometheusInstances int `json:"prometheus_instances"`
}

// Part is one task of the job and its result.
type Part struct {
	Task string `json:"task"`
	Node string `json:"node"`
	File string `json:"file"` // its JSON, as the generator wrote it
}

// AppCount is the app's count of one route between two reads of /metrics.
type AppCount struct {
	URL    string           `json:"url"`
	Route  string           `json:"route"`
	ByCode map[string]int64 `json:"by_code"`
	Total  int64            `json:"total"`
}

// RecordFile is the record's name in a run's folder.
const RecordFile = "swarm.json"

// RunJob runs load as the stack's generator job: reads the app's count,
// redeploys the stack with the job's variables (the job runs again; the
// other services stay as they are), waits for every task, reads the count
// again once the app is idle, and writes each part's JSON, the record and
// the merged result into out (created; it must not exist). The stack must
// be up and ready (Up).
func (s *Stack) RunJob(ctx context.Context, load Load, out string) (*Record, error) {
	if err := load.Validate(); err != nil {
		return nil, err
	}
	u, err := url.Parse(load.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--url %q: not an http://HOST:PORT/PATH URL", load.URL)
	}
	route := u.Path // the app's routes are its paths (Echo's templates have no parameters here)
	if route == "" {
		route = "/"
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, err
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		return nil, fmt.Errorf("results folder: %v (a run never writes over results)", err)
	}
	appURL, promURL, err := s.URLs(ctx)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	before, err := evidence.ReadAppMetrics(ctx, client, appURL)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	rec := &Record{Stack: s.Name, RunID: "swarm-" + now.Format("20060102T150405Z"), StartAt: now.Add(load.Lead).Truncate(time.Second), Replicas: load.Replicas}
	rec.Vars = load.Vars(rec.RunID, rec.StartAt)
	s.logf("job %s: %d replicas × (%s connections, %s req/s) for %s from %s", rec.RunID, load.Replicas,
		rec.Vars["LOADTEST_CONNECTIONS"], rec.Vars["LOADTEST_RATE"], load.Duration, rec.StartAt.Format(time.RFC3339))
	if err := s.Deploy(ctx, rec.Vars); err != nil {
		return nil, err
	}
	// The tasks end at the start, plus the window, plus the metrics' linger
	// (6 s, swarm.yaml), plus what a slow machine adds.
	tasks, err := s.JobTasks(ctx, load.Replicas, time.Until(rec.StartAt)+load.Duration+90*time.Second)
	if err != nil {
		// No more tasks: the job's replicas to 0 (the lab stays).
		if derr := s.Deploy(context.WithoutCancel(ctx), map[string]string{"LOADTEST_REPLICAS": "0"}); derr != nil {
			s.logf("stopping the job: %v", derr)
		}
		for _, t := range tasks {
			log, _ := s.TaskLog(context.WithoutCancel(ctx), t.ID)
			err = fmt.Errorf("%w; its log: %s", err, strings.TrimSpace(tail(string(log), 400)))
		}
		return nil, err
	}
	var parts []*runresult.Generator
	var failed []string
	for i, t := range tasks {
		log, lerr := s.TaskLog(ctx, t.ID)
		ok := t.Status.State == "complete"
		g, raw, gerr := ExtractResult(log)
		if !ok || lerr != nil || gerr != nil {
			failed = append(failed, fmt.Sprintf("task %s (%v %v): %s", t, lerr, gerr, strings.TrimSpace(tail(string(log), 400))))
			continue
		}
		file := fmt.Sprintf("part-%d.json", i+1)
		if err := runresult.WriteFile(filepath.Join(out, file), append(raw, '\n')); err != nil {
			return nil, err
		}
		rec.Parts = append(rec.Parts, Part{Task: t.ID, Node: t.NodeID, File: file})
		parts = append(parts, g)
	}
	if len(failed) > 0 {
		return nil, fmt.Errorf("%d of %d generator tasks failed: %s", len(failed), len(tasks), strings.Join(failed, "; "))
	}
	after, err := waitAppIdle(ctx, client, appURL, 30*time.Second)
	if err != nil {
		return nil, err
	}
	rec.App = AppCount{URL: appURL, Route: route, ByCode: evidence.RouteDelta(before, after, route)}
	for _, n := range rec.App.ByCode {
		rec.App.Total += n
	}
	rec.PrometheusInstances = prometheusInstances(ctx, promURL, rec.RunID)
	if err := mergeParts(out, parts, rec); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	return rec, runresult.WriteFile(filepath.Join(out, RecordFile), append(data, '\n'))
}

// URLs are the app's and Prometheus's base URLs: their published (host
// mode) ports on the nodes that run them.
func (s *Stack) URLs(ctx context.Context) (app, prom string, err error) {
	env, err := Environ(s.Repo, os.Environ(), nil)
	if err != nil {
		return "", "", err
	}
	get := func(k, def string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok && v != "" {
				return v
			}
		}
		return def
	}
	appHost, err := s.NodeAddr(ctx, AppService)
	if err != nil {
		return "", "", err
	}
	promHost, err := s.NodeAddr(ctx, "prometheus")
	if err != nil {
		return "", "", err
	}
	return "http://" + appHost + ":" + get("APP_PORT", "8000"), "http://" + promHost + ":" + get("PROMETHEUS_PORT", "9090"), nil
}

// waitAppIdle reads the app's metrics until no request is in its handlers
// (its /metrics scrapes aside), so the count includes every request the
// generators left in flight.
func waitAppIdle(ctx context.Context, client *http.Client, appURL string, timeout time.Duration) (*evidence.AppSnapshot, error) {
	deadline := time.Now().Add(timeout)
	for {
		s, err := evidence.ReadAppMetrics(ctx, client, appURL)
		if err != nil {
			return nil, err
		}
		if s.Busy() <= 0 {
			return s, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the app still had %d requests in its handlers %s after the job", s.Busy(), timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// prometheusInstances counts the generator instances Prometheus scraped
// for runID, waiting up to two scrape intervals for the last scrape; -1
// when Prometheus cannot be asked.
func prometheusInstances(ctx context.Context, promURL, runID string) int {
	c, err := promapi.New(promURL)
	if err != nil {
		return -1
	}
	expr := `count(count by (instance) (last_over_time(loadtest_requests_total{run_id="` + runID + `"}[10m])))`
	v, err := c.Scalar(ctx, expr, time.Now())
	if err != nil {
		return -1
	}
	return int(v)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Up deploys the lab (no generator job) and waits until every service is
// ready and the app answers /readyz on its published port.
func (s *Stack) Up(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if err := s.Deploy(ctx, map[string]string{"LOADTEST_REPLICAS": "0"}); err != nil {
		return err
	}
	if err := s.WaitReady(ctx, time.Until(deadline)); err != nil {
		return err
	}
	app, _, err := s.URLs(ctx)
	if err != nil {
		return err
	}
	return proc.WaitHTTPOK(ctx, app+"/readyz", max(time.Until(deadline), time.Second))
}

// The merged result's files in a run's folder.
const (
	MergedJSON = "merged.json"
	MergedText = "merged.txt"
	MergedHgrm = "merged.hgrm"
)

// mergeParts merges the parts (internal/lab/merge: counts summed, histograms
// added) into merged.json, merged.txt (the report) and merged.hgrm.
func mergeParts(out string, parts []*runresult.Generator, rec *Record) error {
	in := make([]merge.Input, len(parts))
	for i, g := range parts {
		in[i] = merge.Input{Name: rec.Parts[i].File, G: g}
	}
	m, err := merge.Merge(in)
	if err != nil {
		return fmt.Errorf("merging the parts: %v", err)
	}
	for _, f := range []struct {
		name  string
		write func(w io.Writer) error
	}{
		{MergedJSON, m.WriteJSON},
		{MergedText, m.Text},
		{MergedHgrm, func(w io.Writer) error { m.Hgrm(w); return nil }},
	} {
		var buf bytes.Buffer
		if err := f.write(&buf); err != nil {
			return err
		}
		if err := runresult.WriteFile(filepath.Join(out, f.name), buf.Bytes()); err != nil {
			return err
		}
	}
	rec.Merged = MergedJSON
	return nil
}
