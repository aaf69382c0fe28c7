package benchrun

import (
	"io"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// The bench never writes or prints a password (runresult.Redact): its
// command line, notes and errors may hold a --database-url's.

// redactAll redacts every string of the metadata and the summary, just
// before they are written (summary.json, summary.md and index.html are all
// rendered from the summary).
func redactAll(md map[string]any, summary any) {
	runresult.RedactStrings(md)
	runresult.RedactStrings(summary)
}

// redactWriter redacts what goes through it: the bench's log and errors,
// each written by one Fprintf (one Write, one or more whole lines).
type redactWriter struct{ w io.Writer }

func (r redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, runresult.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
