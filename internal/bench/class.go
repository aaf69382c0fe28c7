package bench

import "github.com/macrobench/macrobench/internal/benchreport"

// cellClass is a cell's class over its runs (benchreport.CellClass); a run
// without one (an older summary) is unknown.
func cellClass(runs []benchreport.Run) (benchreport.Class, string) {
	cls := make([]benchreport.Classification, len(runs))
	for i, r := range runs {
		if r.Class != nil {
			cls[i] = *r.Class
		} else {
			cls[i] = benchreport.Classification{Class: benchreport.ClassUnknown, Reason: "not classified"}
		}
	}
	return benchreport.CellClass(cls)
}
