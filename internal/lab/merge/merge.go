// Package merge adds load generator results up (`bench merge`): the --json
// documents of several generators that loaded one URL with the same
// settings become the result one generator making all their requests would
// have reported. Counts, errors by class, bytes and requests in flight at
// the end are summed; the histograms are merged (HdrHistogram's counts add,
// so every percentile is exact); Requests/sec is all responses over the
// union of the windows; the per-thread Req/Sec line is computed from every
// worker's samples. The report is rendered by the generator's own code
// (internal/loadgen/wrkreport), so it reads like a generator's.
//
// Inputs that are not one run are refused: another URL or setting, parts of
// a split run (--part) duplicated, missing or mixed with whole runs, the
// same result twice, or a result without its histograms or samples.
package merge

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/macrobench/macrobench/internal/loadgen"
	"github.com/macrobench/macrobench/internal/loadgen/cli"
	"github.com/macrobench/macrobench/internal/loadgen/wrkreport"
	"github.com/macrobench/macrobench/internal/shared/formats"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Input is one generator result and the name errors call it by.
type Input struct {
	Name string
	G    *runresult.Generator
}

// Merged is the merged result: its figures (Summary, rendered as the
// generator renders its own), its --json document, and which latency blocks
// the text prints (those the inputs' command line asked for).
type Merged struct {
	Summary *wrkreport.Summary
	JSON    *runresult.Generator
	Options wrkreport.Options
}

// Files reads generator --json files and merges them: each capped at
// runresult.MaxFileSize, its strings and its name cleaned of control
// characters (runresult.ReadGenerator, CleanLine).
func Files(paths []string) (*Merged, error) {
	var in []Input
	for _, p := range paths {
		g, err := runresult.ReadGenerator(p)
		if err != nil {
			return nil, err
		}
		in = append(in, Input{Name: runresult.CleanLine(p), G: g}) // shown, and kept in merged_from
	}
	return Merge(in)
}

// Merge merges results made by generators over the same settings; the
// error names the first input that does not fit and how.
func Merge(in []Input) (*Merged, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	if err := sameSettings(in); err != nil {
		return nil, err
	}
	if err := oneRun(in); err != nil {
		return nil, err
	}
	// Parts in their order, so that the samples are added up in the same
	// order whatever the order of the files.
	in = append([]Input(nil), in...)
	sort.SliceStable(in, func(i, j int) bool { return in[i].G.Part < in[j].G.Part })
	first := in[0].G
	res := &loadgen.Result{
		Config: loadgen.Config{
			URL:      first.URL,
			Duration: seconds(first.DurationS),
			Warmup:   seconds(first.WarmupS),
			Timeout:  seconds(first.TimeoutS),
		},
		Corrected:   loadgen.NewHistogram(),
		Uncorrected: loadgen.NewHistogram(),
	}
	var windows []window
	var cpu float64
	var names []string
	for _, x := range in {
		g := x.G
		c, u, err := wrkreport.DecodeHistograms(g.Histograms)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", x.Name, err)
		}
		if len(g.ReqPerSecSamples) == 0 {
			return nil, fmt.Errorf("%s: no per-thread Req/Sec samples (req_per_sec_samples)", x.Name)
		}
		if c.TotalCount() != g.Requests || u.TotalCount() != g.Requests {
			return nil, fmt.Errorf("%s: its histograms hold %d and %d values, not its %d responses", x.Name, c.TotalCount(), u.TotalCount(), g.Requests)
		}
		if res.Corrected.Merge(c) != 0 || res.Uncorrected.Merge(u) != 0 {
			return nil, fmt.Errorf("%s: values out of the generator's histogram range", x.Name)
		}
		if g.Parts == 0 { // whole runs add their settings up; parts carry the totals
			res.Config.Threads += g.Threads
			res.Config.Connections += g.Connections
			res.Config.Rate += g.TargetRate
		}
		res.Requests += g.Requests
		res.Bytes += g.Bytes
		res.InFlight += g.InFlightAtEnd
		e := g.Errors
		res.Errors[loadgen.ErrConnect] += e.Connect
		res.Errors[loadgen.ErrRead] += e.Read
		res.Errors[loadgen.ErrWrite] += e.Write
		res.Errors[loadgen.ErrTimeout] += e.Timeout
		res.Errors[loadgen.ErrStatus] += e.Status
		res.ThreadRates = append(res.ThreadRates, g.ReqPerSecSamples...)
		res.Interrupted = res.Interrupted || g.Interrupted
		cpu += g.CPUS
		windows = append(windows, window{g.Start, g.End})
		names = append(names, x.Name)
	}
	if first.Parts > 0 {
		res.Config.Threads, res.Config.Connections, res.Config.Rate = first.Threads, first.Connections, first.TargetRate
	}
	res.Start, res.End, res.Elapsed = union(windows)
	res.CPU = time.Duration(cpu * 1e9)

	s := wrkreport.Summarize(res)
	j, err := wrkreport.ToJSON(s, first.Args, first.RunID)
	if err != nil {
		return nil, err
	}
	j.Path, j.Parts, j.StartAt, j.MergedFrom = first.Path, first.Parts, first.StartAt, names
	if j.Health, err = mergeHealth(in); err != nil {
		return nil, err
	}
	return &Merged{Summary: s, JSON: j, Options: textOptions(first.Args)}, nil
}

// Text writes the merged report as the generator prints its own: the
// header, then wrk2's layout.
func (m *Merged) Text(w io.Writer) error {
	wrkreport.Header(w, m.Summary.Result.Config)
	if err := wrkreport.Text(w, m.Summary, m.Options); err != nil {
		return err
	}
	wrkreport.HealthLine(w, m.JSON.Health)
	return nil
}

// Hgrm writes the merged corrected latency as the generator's --hgrm does.
func (m *Merged) Hgrm(w io.Writer) { formats.WriteHgrm(w, m.Summary.Result.Corrected) }

// WriteJSON writes the merged --json document.
func (m *Merged) WriteJSON(w io.Writer) error { return wrkreport.WriteJSON(w, m.JSON) }

// textOptions are the latency blocks the generator's command line asked
// for (-L, -U); -L when it cannot be read.
func textOptions(args []string) wrkreport.Options {
	o, err := cli.Parse(args)
	if err != nil {
		return wrkreport.Options{Latency: true}
	}
	return wrkreport.Options{Latency: o.Latency, ULatency: o.ULatency}
}

// sameSettings refuses inputs made with other settings than the first's.
func sameSettings(in []Input) error {
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	settings := []struct {
		name string
		get  func(g *runresult.Generator) string
	}{
		{"URL", func(g *runresult.Generator) string { return g.URL }},
		{"-d/--duration (s)", func(g *runresult.Generator) string { return num(g.DurationS) }},
		{"--warmup (s)", func(g *runresult.Generator) string { return num(g.WarmupS) }},
		{"--timeout (s)", func(g *runresult.Generator) string { return num(g.TimeoutS) }},
		{"-R/--rate", func(g *runresult.Generator) string { return num(g.TargetRate) }},
		{"-t/--threads", func(g *runresult.Generator) string { return strconv.Itoa(g.Threads) }},
		{"-c/--connections", func(g *runresult.Generator) string { return strconv.Itoa(g.Connections) }},
		{"parts (--part I/N)", func(g *runresult.Generator) string { return strconv.Itoa(g.Parts) }},
		{"--start-at", func(g *runresult.Generator) string {
			if g.StartAt == nil {
				return "none"
			}
			return g.StartAt.UTC().Format(time.RFC3339Nano)
		}},
	}
	first := in[0]
	for _, x := range in[1:] {
		for _, s := range settings {
			if a, b := s.get(first.G), s.get(x.G); a != b {
				return fmt.Errorf("%s: %s differs: %s here, %s in %s", x.Name, s.name, b, a, first.Name)
			}
		}
	}
	return nil
}

// oneRun refuses parts duplicated or missing, and a whole result given twice.
func oneRun(in []Input) error {
	parts := in[0].G.Parts // the same in every input (sameSettings)
	if parts == 0 {
		for i, x := range in {
			for _, y := range in[:i] {
				if sameResult(x.G, y.G) {
					return fmt.Errorf("%s: the same result as %s (same window, counts, CPU time and histograms)", x.Name, y.Name)
				}
			}
		}
		return nil
	}
	seen := map[int]string{}
	for _, x := range in {
		p := x.G.Part
		if p < 1 || p > parts {
			return fmt.Errorf("%s: part %d of %d is not a part of a %d-part run", x.Name, p, parts, parts)
		}
		if other, dup := seen[p]; dup {
			return fmt.Errorf("%s: part %d/%d twice (%s is part %d too)", x.Name, p, parts, other, p)
		}
		seen[p] = x.Name
	}
	for p := 1; p <= parts; p++ {
		if _, ok := seen[p]; !ok {
			return fmt.Errorf("part %d/%d missing: a %d-part run needs all its parts", p, parts, parts)
		}
	}
	return nil
}

// sameResult reports whether a and b are one result given twice: two
// generators started together at the same rate may well have the same
// window and counts, never also the same CPU time and histograms.
func sameResult(a, b *runresult.Generator) bool {
	return a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.RunID == b.RunID && a.Requests == b.Requests && a.Bytes == b.Bytes &&
		a.Errors == b.Errors && a.CPUS == b.CPUS && a.Histograms != nil && b.Histograms != nil && *a.Histograms == *b.Histograms
}

type window struct{ start, end time.Time }

// union is the windows' span and the time they cover together (overlaps
// counted once, gaps not at all).
func union(ws []window) (start, end time.Time, covered time.Duration) {
	sort.Slice(ws, func(i, j int) bool { return ws[i].start.Before(ws[j].start) })
	start, end = ws[0].start, ws[0].end
	curStart, curEnd := ws[0].start, ws[0].end
	for _, w := range ws[1:] {
		if w.start.After(curEnd) {
			covered += curEnd.Sub(curStart)
			curStart, curEnd = w.start, w.end
		} else if w.end.After(curEnd) {
			curEnd = w.end
		}
		if w.end.After(end) {
			end = w.end
		}
	}
	covered += curEnd.Sub(curStart)
	return start, end, covered
}

func seconds(s float64) time.Duration { return time.Duration(s * 1e9) }
