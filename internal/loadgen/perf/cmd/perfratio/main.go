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

	"github.com/macrobench/macrobench/internal/loadgen/perf"
	"github.com/macrobench/macrobench/internal/loadgen/report"
)

func main() {
	min := flag.Float64("min", 0.9, "lowest acceptable median ratio")
	cpu := flag.String("cpu", "", "loadtest --json result to print the CPU use of")
	flag.Parse()
	if *cpu != "" {
		raw, err := os.ReadFile(*cpu)
		var j report.JSON
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
	var rounds []perf.Round
	for i := 0; i < len(files); i += 2 {
		w, err1 := rate(files[i])
		o, err2 := rate(files[i+1])
		if err1 != nil || err2 != nil {
			fmt.Fprintf(os.Stderr, "perfratio: %v %v\n", err1, err2)
			os.Exit(1)
		}
		r := perf.Round{Wrk: w, Ours: o}
		fmt.Printf("round %d: wrk %.0f req/s, loadtest %.0f req/s, ratio %.3f\n", i/2+1, w, o, r.Ratio())
		rounds = append(rounds, r)
	}
	m := perf.Median(rounds)
	fmt.Printf("median ratio loadtest/wrk: %.3f (want >= %.2f)\n", m, *min)
	if m < *min {
		os.Exit(1)
	}
}

func rate(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	v, err := perf.RequestsPerSec(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", path, err)
	}
	return v, nil
}
