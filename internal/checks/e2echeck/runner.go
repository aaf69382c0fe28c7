package e2echeck

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/macrobench/macrobench/internal/lab/report"
)

// CheckSameReport checks that the same bench command gave the same report
// natively and in the runner container (scripts/runner/): both are passing
// compose runs, each records the runner it ran in (summary.json and
// summary.md) and the same commit (metadata.json), and their summary.json
// have the same structure: the same fields, at every depth, as
// ReportStructure sees them, except the leaves in valueShaped. Values differ
// between any two runs and are not compared.
func CheckSameReport(nativeDir, containerDir string) error {
	var bad []string
	shapes := map[string][]string{}
	for _, r := range []struct{ dir, runner string }{{nativeDir, report.RunnerNative}, {containerDir, report.RunnerContainer}} {
		s, problems, err := loadComposeRun(r.dir)
		if err != nil {
			return err
		}
		for _, p := range problems {
			bad = append(bad, r.dir+": "+p)
		}
		problems, err = checkRunner(r.dir, s, r.runner)
		if err != nil {
			return err
		}
		bad = append(bad, problems...)
		b, err := os.ReadFile(filepath.Join(r.dir, "summary.json"))
		if err != nil {
			return err
		}
		if shapes[r.runner], err = ReportStructure(b); err != nil {
			return fmt.Errorf("%s: %w", r.dir, err)
		}
	}
	// The commit: the container's git read it (safe.directory, a
	// worktree's git directory mounted).
	commits := map[string]string{}
	for _, dir := range []string{nativeDir, containerDir} {
		var md struct {
			Commit string `json:"git_commit"`
		}
		if b, err := os.ReadFile(filepath.Join(dir, "metadata.json")); err != nil {
			bad = append(bad, err.Error())
		} else if err := json.Unmarshal(b, &md); err != nil {
			bad = append(bad, fmt.Sprintf("%s/metadata.json: %v", dir, err))
		}
		commits[dir] = md.Commit
	}
	if commits[containerDir] == "" || commits[containerDir] != commits[nativeDir] {
		bad = append(bad, fmt.Sprintf("metadata.json git_commit: native %q, container %q", commits[nativeDir], commits[containerDir]))
	}
	n, c := shapes[report.RunnerNative], shapes[report.RunnerContainer]
	for _, p := range n {
		if !slices.Contains(c, p) && !valueShaped(p) {
			bad = append(bad, "only the native report has "+p)
		}
	}
	for _, p := range c {
		if !slices.Contains(n, p) && !valueShaped(p) {
			bad = append(bad, "only the container's report has "+p)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("native %s vs container %s:\n  %s", nativeDir, containerDir, strings.Join(bad, "\n  "))
	}
	return nil
}

// checkRunner checks that the report in dir, whose summary.json is s,
// names the runner it ran in (report.RunnerNative or RunnerContainer) in
// summary.json and in summary.md's first lines.
func checkRunner(dir string, s *report.Summary, runner string) (problems []string, err error) {
	if s.Runner != runner {
		problems = append(problems, fmt.Sprintf("%s: summary.json runner %q, want %q", dir, s.Runner, runner))
	}
	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(md), "runner: "+runner+";") {
		problems = append(problems, fmt.Sprintf("%s: summary.md does not say \"runner: %s\"", dir, runner))
	}
	return problems, nil
}

// valueShaped reports whether a summary.json path is a field the report
// writes only for some values of a passing run, so that two runs of one
// command may differ in it: the class beneath machine-saturated (the
// machine's load in that window), a figure's interval (n of at least 6),
// and a run's error counts (a shed request).
func valueShaped(path string) bool {
	leaf := path[strings.LastIndex(path, ".")+1:]
	switch leaf {
	case "beneath", "lo", "hi", "confidence", "errors", "non_2xx", "error_share":
		return true
	}
	return false
}

// ReportStructure is the sorted set of field paths of a JSON document:
// "cells[].runs[].latency_ms.p99" for every field of every element of every
// array. A key made of digits only (a status code: app_requests' "200") is
// data, not structure: it reads "#".
func ReportStructure(doc []byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if strings.Trim(k, "0123456789") == "" {
					k = "#"
				}
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				set[p] = true
				walk(p, x)
			}
		case []any:
			for _, x := range v {
				walk(prefix+"[]", x)
			}
		}
	}
	walk("", v)
	paths := make([]string, 0, len(set))
	for p := range set {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths, nil
}

// CheckOwnedBy checks that everything under dir, dir included, belongs to
// uid:gid: the files a bench wrote for its invoking user, none of them root's.
func CheckOwnedBy(dir string, uid, gid int) error {
	var bad []string
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n++
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && (int(st.Uid) != uid || int(st.Gid) != gid) {
			bad = append(bad, fmt.Sprintf("%s (%d:%d)", path, st.Uid, st.Gid))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d of %d paths under %s are not %d:%d's: %s", len(bad), n, dir, uid, gid, strings.Join(bad[:min(len(bad), 10)], ", "))
	}
	return nil
}
