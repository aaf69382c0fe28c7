package benchrun

import "github.com/macrobench/macrobench/internal/lab/report"

// cellClass is a cell's class over its runs (report.CellClass); a run
// without one (an older summary) is unknown.
func cellClass(runs []report.Run) (report.Class, string) {
	cls := make([]report.Classification, len(runs))
	for i, r := range runs {
		if r.Class != nil {
			cls[i] = *r.Class
		} else {
			cls[i] = report.Classification{Class: report.ClassUnknown, Reason: "not classified"}
		}
	}
	return report.CellClass(cls)
}
