package merge

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Main runs `bench merge [--json OUT] [--hgrm OUT] FILE...`: the merged
// report in wrk2's layout on stdout, OUT files written whole and never over
// an existing file. Exit status: 0 merged, 1 inputs refused or unreadable
// (one line naming the problem), 2 a bad command line.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	jsonOut := fs.String("json", "", "write the merged result as the generator's --json document to this new file")
	hgrmOut := fs.String("hgrm", "", "write the merged corrected latency as an HdrHistogram percentile distribution to this new file")
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(stdout, "usage: bench merge [--json OUT] [--hgrm OUT] FILE...")
				fmt.Fprintln(stdout, "  Merges load generator --json results (of one URL, same settings; all the parts of a --part run) into the report one generator making all their requests would print.")
				fs.SetOutput(stdout)
				fs.PrintDefaults()
				return 0
			}
			fmt.Fprintf(stderr, "merge: %v\n", err)
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "merge: no results given (usage: bench merge [--json OUT] [--hgrm OUT] FILE...)")
		return 2
	}
	m, err := Files(files)
	if err != nil {
		fmt.Fprintf(stderr, "merge: %s\n", oneLine(err))
		return 1
	}
	if *jsonOut != "" {
		if err := runresult.WriteNewFile(*jsonOut, m.WriteJSON); err != nil {
			fmt.Fprintf(stderr, "merge: --json: %s\n", oneLine(err))
			return 1
		}
	}
	if *hgrmOut != "" {
		if err := runresult.WriteNewFile(*hgrmOut, func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			m.Hgrm(bw)
			return bw.Flush()
		}); err != nil {
			fmt.Fprintf(stderr, "merge: --hgrm: %s\n", oneLine(err))
			return 1
		}
	}
	if err := m.Text(stdout); err != nil {
		fmt.Fprintf(stderr, "merge: %s\n", oneLine(err))
		return 1
	}
	return 0
}

// oneLine is an error as one line without control characters: it may
// quote an input's name or contents.
func oneLine(err error) string {
	return runresult.CleanLine(strings.ReplaceAll(err.Error(), "\n", " "))
}
