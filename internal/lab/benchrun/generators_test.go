package benchrun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// --generators 2 against the real app: every measured run is two generator
// processes started together as its parts; the report's figures are their
// merged result (the sum of the parts', its settings the whole run's), and
// the app's own counts reconcile with it; each part's files are kept.
func TestGeneratorsAgainstRealApp(t *testing.T) {
	appBin, _ := binaries(t)
	pg := testenv.StartPostgres(t)
	base := startApp(t, appBin, pg.URL())
	out := filepath.Join(t.TempDir(), "results")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), benchArgs(base, out, "--endpoints", "/index", "--scenarios", "saturation,rate4000",
		"--connections", "8", "--rate", "200", "--duration", "2s", "--generators", "2", "--threads", "1"), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cells) != 2 {
		t.Fatalf("%d cells", len(s.Cells))
	}
	for _, c := range s.Cells {
		run := c.Runs[0]
		if run.Generators != 2 || len(run.PartFiles) != 2 || c.Threads != 2 {
			t.Fatalf("%s: %d generators, part files %v, %d threads; want 2, 2 files, -t2 (one per part)", c.Scenario, run.Generators, run.PartFiles, c.Threads)
		}
		merged, err := runresult.ReadGenerator(filepath.Join(out, run.JSONFile))
		if err != nil {
			t.Fatal(err)
		}
		var requests, bytes, inFlight int64
		var errs runresult.Errors
		for i, f := range run.PartFiles {
			p, err := runresult.ReadGenerator(filepath.Join(out, f))
			if err != nil {
				t.Fatal(err)
			}
			if p.Part != i+1 || p.Parts != 2 || p.Connections != 8 || p.StartAt == nil || !p.Start.Equal(merged.Start) {
				t.Errorf("%s: part %d/%d of -c%d, start_at %v, window from %v (merged: %v)", f, p.Part, p.Parts, p.Connections, p.StartAt, p.Start, merged.Start)
			}
			if p.Requests == 0 {
				t.Errorf("%s: no responses", f)
			}
			for _, ext := range []string{".txt", ".hgrm"} {
				if st, err := os.Stat(filepath.Join(out, strings.TrimSuffix(f, ".json")+ext)); err != nil || st.Size() == 0 {
					t.Errorf("part file %s%s: %v", f, ext, err)
				}
			}
			requests += p.Requests
			bytes += p.Bytes
			inFlight += p.InFlightAtEnd
			errs.Add(p.Errors)
		}
		if merged.Requests != requests || merged.Bytes != bytes || merged.InFlightAtEnd != inFlight || merged.Errors != errs ||
			run.Requests != requests || merged.Connections != 8 || merged.Parts != 2 {
			t.Errorf("%s: merged %d responses %d bytes %d in flight %+v (report: %d), parts' sums %d %d %d %+v",
				c.Scenario, merged.Requests, merged.Bytes, merged.InFlightAtEnd, merged.Errors, run.Requests, requests, bytes, inFlight, errs)
		}
		if len(run.Checks) == 0 {
			t.Errorf("%s: no reconciliation with the app's counts", c.Scenario)
		}
		for _, ch := range run.Checks {
			if !ch.OK {
				t.Errorf("%s: reconciliation %s: %s", c.Scenario, ch.Name, ch.Detail)
			}
		}
		if txt, err := os.ReadFile(filepath.Join(out, run.TextFile)); err != nil || !strings.Contains(string(txt), "  2 threads and 8 connections\n") {
			t.Errorf("%s: merged text %v:\n%s", c.Scenario, err, txt)
		}
		for _, a := range run.Args {
			if a == "--part" {
				t.Errorf("%s: the run's command line is a part's: %v", c.Scenario, run.Args)
			}
		}
	}
}

func TestGeneratorsFlag(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"--generators 0", "--generators must be at least 1"},
		{"--generators 3 --connections 2", "fewer connections than generators"},
		{"--generators 11 --scenarios rate10", "scenario rate10 has fewer connections than generators"},
		{"--sweep --generators 2", "--generators does not go with --sweep"},
	} {
		if _, err := ParseFlags(strings.Fields(c.args), nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.args, err, c.want)
		}
	}
	cfg, err := ParseFlags(strings.Fields("--generators 3 --threads 1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cells := Matrix(cfg, 2); cells[0].Threads != 3 {
		t.Errorf("-t with 3 generators: %d, want 3 (each part needs one)", cells[0].Threads)
	}
}
