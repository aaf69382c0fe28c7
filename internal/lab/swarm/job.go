package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

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
