package benchrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/macrobench/macrobench/internal/lab/merge"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Default --generators-lead: how long after launching the parts of a run
// they start (--start-at), time enough for each to start and open its
// connections (in the last second, loadgen.ConnectAhead). Two `docker
// compose run` at once took 0.9-1.2 s to start and exit on the lab's 2-core
// machine; a local process well under one.
const (
	composeGeneratorsLead = 4 * time.Second
	localGeneratorsLead   = 2 * time.Second
)

// PartStem is the file-name stem of part i of n of the run stem: its own
// files (.json, .hgrm, .txt) lie beside the merged ones.
func PartStem(stem string, i, n int) string { return fmt.Sprintf("%s.part%dof%d", stem, i, n) }

// generate runs a measured run: one generator, or with --generators N > 1
// N of them started together as the parts of one run (loadtest --part I/N
// --start-at T), merged (internal/lab/merge) into Dir/Stem.json and .hgrm; the
// text returned is the merged report. Each part's files are kept beside
// them (PartStem). A part that fails (one that cannot start on time
// included) fails the run: a merged result without it would lie.
func (r *Runner) generate(ctx context.Context, s GenSpec) (text, jsonPath string, err error) {
	n := r.Cfg.Generators
	if n <= 1 {
		return r.Ex.Generate(ctx, s)
	}
	if pg, ok := r.Ex.(interface {
		GenerateParts(ctx context.Context, s GenSpec, n int) (texts, files []string, err error)
	}); ok {
		// Swarm: one job of n tasks (swarm.go).
		texts, files, err := pg.GenerateParts(ctx, s, n)
		for i, t := range texts {
			_ = runresult.WriteFile(filepath.Join(s.Dir, PartStem(s.Stem, i+1, n)+".txt"), []byte(t))
		}
		if err != nil {
			return "", "", err
		}
		return r.mergeParts(s, files, "a Swarm job's tasks")
	}
	lead := r.Cfg.GeneratorsLead
	if lead == 0 {
		lead = localGeneratorsLead
		if _, ok := r.Ex.(*ComposeExecutor); ok {
			lead = composeGeneratorsLead
		}
	}
	startAt := time.Now().Add(lead).UTC().Format(time.RFC3339Nano)
	type out struct {
		text, json string
		err        error
	}
	outs := make([]out, n)
	var wg sync.WaitGroup
	for i := range n {
		ps := s
		ps.Part, ps.Stem = i+1, PartStem(s.Stem, i+1, n)
		ps.Args = append(slices.Clone(s.Args), "--part", fmt.Sprintf("%d/%d", i+1, n), "--start-at", startAt)
		wg.Go(func() {
			o := &outs[i]
			o.text, o.json, o.err = r.Ex.Generate(ctx, ps)
			_ = runresult.WriteFile(filepath.Join(s.Dir, ps.Stem+".txt"), []byte(o.text))
		})
	}
	wg.Wait()
	var errs []string
	var files []string
	for i, o := range outs {
		if o.err != nil {
			errs = append(errs, fmt.Sprintf("generator %d/%d: %v", i+1, n, o.err))
		}
		files = append(files, o.json)
	}
	if len(errs) > 0 {
		return "", "", errors.New(strings.Join(errs, "; "))
	}
	return r.mergeParts(s, files, fmt.Sprintf("started together %s after launch", lead))
}

// mergeParts merges the parts' JSON files into s's Dir/Stem.json and .hgrm
// and returns the merged text report.
func (r *Runner) mergeParts(s GenSpec, files []string, how string) (text, jsonPath string, err error) {
	m, err := merge.Files(files)
	if err != nil {
		return "", "", fmt.Errorf("merging the %d generators' results: %w", len(files), err)
	}
	var slack []string
	for _, f := range files {
		if g, err := runresult.ReadGenerator(f); err == nil {
			slack = append(slack, fmt.Sprintf("%.2fs", g.StartSlackS))
		}
	}
	r.logf("bench: %d generators, %s, there ahead of the start by %s", len(files), how, strings.Join(slack, ", "))
	var j, h, t bytes.Buffer
	if err := m.WriteJSON(&j); err != nil {
		return "", "", err
	}
	m.Hgrm(&h)
	if err := m.Text(&t); err != nil {
		return "", "", err
	}
	jsonPath = filepath.Join(s.Dir, s.Stem+".json")
	if err := runresult.WriteFile(jsonPath, j.Bytes()); err != nil {
		return "", "", err
	}
	if err := runresult.WriteFile(filepath.Join(s.Dir, s.Stem+".hgrm"), h.Bytes()); err != nil {
		return "", "", err
	}
	return t.String(), jsonPath, nil
}
