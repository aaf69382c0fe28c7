// Command perfratio prints the throughput ratio of loadtest to wrk from
// interleaved runs' outputs: perfratio WRK1 OURS1 [WRK2 OURS2 ...]. It exits
// 1 when the median ratio is below -min (default 0.9). With -cpu JSON it
// prints the CPU share of a loadtest --json result instead.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

func main() {
	min := flag.Float64("min", 0.9, "lowest acceptable median ratio")
	cpu := flag.String("cpu", "", "loadtest --json result to print the CPU use of")
	flag.Parse()
	if *cpu != "" {
		raw, err := os.ReadFile(*cpu)
		var j runresult.Generator
		if err == nil {
			err = json.Unmarshal(raw, &j)
		}
		if err != nil || j.ElapsedS == 0 {
			fmt.Fprintf(os.Stderr, "perfratio: %s: %v\n", *cpu, err)
			os.Exit(1)
		}
		fmt.Printf("target %.0f req/s, achieved %.1f req/s: CPU %.3fs over %.2fs = %.2f%% of one core\n",
			j.TargetRate, j.AchievedRate, j.CPUS, j.ElapsedS, 100*j.CPUS/j.ElapsedS)
		return
	}
	files := flag.Args()
	if len(files) == 0 || len(files)%2 != 0 {
		fmt.Fprintln(os.Stderr, "usage: perfratio [-min R] WRK_OUTPUT LOADTEST_OUTPUT [...pairs]")
		os.Exit(2)
	}
	var rounds, perReq []Round
	for i := 0; i < len(files); i += 2 {
		w, err1 := parse(files[i])
		o, err2 := parse(files[i+1])
		if err1 != nil || err2 != nil {
			fmt.Fprintf(os.Stderr, "perfratio: %v %v\n", err1, err2)
			os.Exit(1)
		}
		r := Round{Wrk: w.RequestsPerSec, Ours: o.RequestsPerSec}
		fmt.Printf("round %d: wrk %.0f req/s, loadtest %.0f req/s, ratio %.3f", i/2+1, r.Wrk, r.Ours, r.Ratio())
		if w.CPU > 0 && o.CPU > 0 {
			// Inverted, so that above 1 means loadtest spends less per request.
			c := Round{Wrk: o.CPUPerRequest(), Ours: w.CPUPerRequest()}
			fmt.Printf("; CPU per request: wrk %.1fus, loadtest %.1fus", c.Ours, c.Wrk)
			perReq = append(perReq, c)
		}
		fmt.Println()
		rounds = append(rounds, r)
	}
	m := Median(rounds)
	if len(perReq) > 0 {
		fmt.Printf("median CPU efficiency loadtest/wrk (wrk's CPU per request / ours): %.3f\n", Median(perReq))
	}
	fmt.Printf("median throughput ratio loadtest/wrk: %.3f (want >= %.2f)\n", m, *min)
	if m < *min {
		os.Exit(1)
	}
}

func parse(path string) (Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return Run{}, err
	}
	defer f.Close()
	r, err := Parse(f)
	if err != nil {
		return r, fmt.Errorf("%s: %v", path, err)
	}
	return r, nil
}
