package e2echeck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/swarm"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// CheckSwarmRun checks the folder of a `bench swarm run` (the generator as
// a replicated job on Docker Swarm): as many parts as replicas, each of
// this run and started at its common start; the merged result's counts
// (responses, in flight at the end, bytes, errors by class) are exactly
// the sum of the parts'; the app's own count of the route over the run is
// the merged responses plus the requests in flight at the end (exactly,
// when no request ended in a socket error; else within runresult.Accounting's
// bounds); and Prometheus scraped every replica (DNS discovery of
// tasks.loadtest). It returns the figures as lines for the log.
func CheckSwarmRun(dir string) (lines []string, err error) {
	data, err := os.ReadFile(filepath.Join(dir, swarm.RecordFile))
	if err != nil {
		return nil, err
	}
	var rec swarm.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s: %v", swarm.RecordFile, err)
	}
	var bad []string
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	if rec.Replicas < 2 {
		fail("%d replicas: the check wants at least two parts to add up", rec.Replicas)
	}
	if len(rec.Parts) != rec.Replicas {
		fail("%d parts for %d replicas", len(rec.Parts), rec.Replicas)
	}
	var sum runresult.Generator
	tasks := map[string]bool{}
	for _, p := range rec.Parts {
		g, err := runresult.ReadGenerator(filepath.Join(dir, p.File))
		if err != nil {
			return nil, err
		}
		if tasks[p.Task] {
			fail("task %s twice", p.Task)
		}
		tasks[p.Task] = true
		if g.RunID != rec.RunID {
			fail("%s: run_id %q, want %q", p.File, g.RunID, rec.RunID)
		}
		if !g.Start.Equal(rec.StartAt) {
			fail("%s: started at %s, want the common start %s", p.File, g.Start, rec.StartAt)
		}
		if g.Requests == 0 {
			fail("%s: no responses", p.File)
		}
		sum.Requests += g.Requests
		sum.InFlightAtEnd += g.InFlightAtEnd
		sum.Bytes += g.Bytes
		sum.Errors.Add(g.Errors)
		lines = append(lines, fmt.Sprintf("%s (task %.12s): %d responses, %d in flight at the end, %d socket errors", p.File, p.Task, g.Requests, g.InFlightAtEnd, g.Errors.Socket()))
	}
	if rec.Merged == "" {
		fail("no merged result")
	} else if m, err := runresult.ReadGenerator(filepath.Join(dir, rec.Merged)); err != nil {
		fail("%v", err)
	} else {
		if m.Requests != sum.Requests || m.InFlightAtEnd != sum.InFlightAtEnd || m.Bytes != sum.Bytes || m.Errors != sum.Errors {
			fail("merged %d responses, %d in flight, %d bytes, errors %+v; the parts add up to %d, %d, %d, %+v",
				m.Requests, m.InFlightAtEnd, m.Bytes, m.Errors, sum.Requests, sum.InFlightAtEnd, sum.Bytes, sum.Errors)
		}
		lines = append(lines, fmt.Sprintf("merged: %d responses + %d in flight at the end = the parts' sum", m.Requests, m.InFlightAtEnd))
	}
	app, sent := rec.App.Total, sum.Requests+sum.InFlightAtEnd
	switch {
	case rec.App.Route == "" || rec.App.ByCode == nil:
		fail("no app count in %s", swarm.RecordFile)
	case sum.Errors.Socket() == 0 && app != sent:
		fail("the app counted %d requests to %s, the generators %d responses + %d in flight at the end = %d",
			app, rec.App.Route, sum.Requests, sum.InFlightAtEnd, sent)
	case app < sum.Requests || app > sum.Attempts()-sum.Errors.Connect:
		fail("the app counted %d requests to %s, outside [%d responses, %d sent that reached it]",
			app, rec.App.Route, sum.Requests, sum.Attempts()-sum.Errors.Connect)
	case sum.Errors.Socket() == 0:
		lines = append(lines, fmt.Sprintf("app: %d requests to %s = the generators' responses + in flight at the end", app, rec.App.Route))
	default:
		lines = append(lines, fmt.Sprintf("app: %d requests to %s, within [%d responses, %d sent that reached it] (%d socket errors)",
			app, rec.App.Route, sum.Requests, sum.Attempts()-sum.Errors.Connect, sum.Errors.Socket()))
	}
	if rec.PrometheusInstances != rec.Replicas {
		fail("Prometheus scraped %d generator instances of run %s, want %d (tasks.loadtest)", rec.PrometheusInstances, rec.RunID, rec.Replicas)
	} else {
		lines = append(lines, fmt.Sprintf("prometheus: scraped all %d generator tasks (tasks.loadtest)", rec.Replicas))
	}
	if len(bad) > 0 {
		return lines, errors.New(strings.Join(bad, "; "))
	}
	return lines, nil
}
