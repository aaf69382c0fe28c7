package e2echeck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/benchrun"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/docker"
)

func TestLeftGenerators(t *testing.T) {
	c := func(name, svc string, oneOff bool) docker.Container {
		var x docker.Container
		x.Name = "/" + name
		x.Config.Labels = map[string]string{"com.docker.compose.service": svc}
		if oneOff {
			x.Config.Labels["com.docker.compose.oneoff"] = "True"
		}
		return x
	}
	stack := []docker.Container{c("macrobench-app-1", "app", false), c("macrobench-postgres-1", "postgres", false)}
	if left := LeftGenerators(stack); len(left) != 0 {
		t.Errorf("the stack alone: %v", left)
	}
	for _, g := range []docker.Container{
		c("macrobench-loadtest-run-1a2b", "loadtest", true),
		c("macrobench-loadtest-local-run-3c", "loadtest-local", true),
		c(benchrun.GeneratorContainerPrefix+"123-4", "loadtest", true),
		c(benchrun.GeneratorContainerPrefix+"123-5", "", false), // named by the bench, whatever its labels
	} {
		if left := LeftGenerators(append(stack, g)); len(left) != 1 || left[0].Name != g.Name {
			t.Errorf("%s: left %v", g.Name, left)
		}
	}
}

func TestCheckInterrupted(t *testing.T) {
	write := func(s *report.Summary, marker, md bool) string {
		dir := t.TempDir()
		if err := s.WriteJSON(dir); err != nil {
			t.Fatal(err)
		}
		if marker {
			os.WriteFile(filepath.Join(dir, benchrun.InterruptedMarker), []byte("interrupted (SIGINT)\n"), 0o644)
		}
		text := "# x\n"
		if md {
			text += "> **INTERRUPTED** (SIGINT) at ...\n"
		}
		os.WriteFile(filepath.Join(dir, "summary.md"), []byte(text), 0o644)
		return dir
	}
	good := &report.Summary{Schema: report.SchemaVersion, Interrupted: true, InterruptedBy: "SIGINT"}
	if what, err := CheckInterrupted(write(good, true, true)); err != nil || !strings.Contains(what, "SIGINT") {
		t.Errorf("good: %q, %v", what, err)
	}
	for name, dir := range map[string]string{
		"not interrupted": write(&report.Summary{Schema: report.SchemaVersion}, true, true),
		"no marker":       write(good, false, true),
		"no banner":       write(good, true, false),
	} {
		if _, err := CheckInterrupted(dir); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
