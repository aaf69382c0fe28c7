package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Load is one run of the generator job: the totals over every replica.
type Load struct {
	Replicas    int
	Threads     int // per replica, at most its connections
	Connections int // in total, a multiple of Replicas
	Rate        float64
	Duration    time.Duration
	URL         string // as the generators reach it (http://app:8000/index)
	// Lead is how long before the common start the job is deployed: the
	// time Swarm has to place and start every task.
	Lead time.Duration
}

// Validate names the first field a job cannot run with.
func (l Load) Validate() error {
	switch {
	case l.Replicas < 1:
		return fmt.Errorf("--replicas must be at least 1, got %d", l.Replicas)
	case l.Connections < l.Replicas || l.Connections%l.Replicas != 0:
		// Swarm gives a job's tasks the same arguments (Task.Slot is not a
		// usable index for a job: docs/swarm.md), so each takes an equal share.
		return fmt.Errorf("--connections (%d) must be a positive multiple of --replicas (%d): every replica takes an equal share", l.Connections, l.Replicas)
	case l.Threads < 1:
		return fmt.Errorf("--threads must be at least 1, got %d", l.Threads)
	case !(l.Rate >= float64(l.Replicas)):
		return fmt.Errorf("--rate must be at least 1 request/s a replica (%d replicas), got %g", l.Replicas, l.Rate)
	case l.Duration <= 0:
		return fmt.Errorf("--duration must be positive, got %v", l.Duration)
	case l.Lead <= 0:
		return fmt.Errorf("--lead must be positive, got %v", l.Lead)
	case l.URL == "":
		return errors.New("no URL")
	}
	return nil
}

// Vars are swarm.yaml's generator variables for one replica's share of l.
func (l Load) Vars(runID string, startAt time.Time) map[string]string {
	conns := l.Connections / l.Replicas
	return map[string]string{
		"LOADTEST_REPLICAS":    strconv.Itoa(l.Replicas),
		"LOADTEST_THREADS":     strconv.Itoa(min(l.Threads, conns)),
		"LOADTEST_CONNECTIONS": strconv.Itoa(conns),
		"LOADTEST_RATE":        strconv.FormatFloat(l.Rate/float64(l.Replicas), 'f', -1, 64),
		"LOADTEST_DURATION":    l.Duration.String(),
		"LOADTEST_RUN_ID":      runID,
		"LOADTEST_START_AT":    startAt.UTC().Format(time.RFC3339Nano),
		"LOADTEST_URL":         l.URL,
	}
}

// JobTasks waits until the generator job's current iteration has want
// tasks, all in a final state, and returns them. A task that failed ends
// the wait at once (Swarm would start another in its slot, which would miss
// the common start). It gives up at timeout naming the tasks' states.
func (s *Stack) JobTasks(ctx context.Context, want int, timeout time.Duration) ([]Task, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no tasks yet"
	for {
		ts, err := s.currentJobTasks(ctx)
		if err != nil {
			last = err.Error()
		} else {
			done := 0
			for _, t := range ts {
				if t.Done() && t.Status.State != "complete" {
					return []Task{t}, fmt.Errorf("%s: task %s", s.Service(LoadtestService), t)
				}
				if t.Done() {
					done++
				}
			}
			if len(ts) == want && done == want {
				return ts, nil
			}
			last = fmt.Sprintf("%d tasks, %d done: %v", len(ts), done, ts)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: the job did not finish within %s (%s)", s.Service(LoadtestService), timeout, last)
		case <-time.After(time.Second):
		}
	}
}

// currentJobTasks is the tasks of the job's latest iteration (a redeploy
// runs the job again; Swarm keeps the earlier iterations' tasks for a
// while).
func (s *Stack) currentJobTasks(ctx context.Context) ([]Task, error) {
	out, err := s.Docker.Run(ctx, "service", "inspect", s.Service(LoadtestService))
	if err != nil {
		return nil, err
	}
	var ss []serviceInfo
	if err := json.Unmarshal([]byte(out), &ss); err != nil || len(ss) != 1 {
		return nil, fmt.Errorf("docker service inspect %s: %v", s.Service(LoadtestService), err)
	}
	if ss[0].JobStatus == nil {
		return nil, fmt.Errorf("%s is not a job", s.Service(LoadtestService))
	}
	iter := ss[0].JobStatus.JobIteration.Index
	ts, err := s.Tasks(ctx, LoadtestService)
	if err != nil {
		return nil, err
	}
	var cur []Task
	for _, t := range ts {
		if t.JobIteration != nil && t.JobIteration.Index == iter {
			cur = append(cur, t)
		}
	}
	return cur, nil
}

// TaskLog is a task's log as its container wrote it (docker service logs
// --raw TASK: stdout and stderr, from whichever node ran it).
func (s *Stack) TaskLog(ctx context.Context, id string) ([]byte, error) {
	cmd := s.Docker.Command(ctx, "service", "logs", "--raw", id)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("docker service logs %s: %v: %s", id, err, errb.String())
	}
	// The engine serves a finished task's log; stderr's lines are the
	// generator's one-line errors.
	return append(out.Bytes(), errb.Bytes()...), nil
}

// ExtractResult finds the generator's JSON document (--json -) in a log:
// the first line that opens a JSON object and decodes, with its URL, as a
// runresult.Generator. It returns the document's own bytes too.
func ExtractResult(log []byte) (*runresult.Generator, []byte, error) {
	for off := 0; off < len(log); {
		end := bytes.IndexByte(log[off:], '\n')
		line := log[off:]
		next := len(log)
		if end >= 0 {
			line, next = log[off:off+end], off+end+1
		}
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '{' {
			dec := json.NewDecoder(bytes.NewReader(log[off:]))
			var raw json.RawMessage
			if dec.Decode(&raw) == nil {
				var g runresult.Generator
				if json.Unmarshal(raw, &g) == nil && g.URL != "" {
					return &g, raw, nil
				}
			}
		}
		off = next
	}
	return nil, nil, errors.New("no generator JSON in the log")
}
