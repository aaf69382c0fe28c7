package benchrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// InterruptedMarker is the file an interrupted run leaves in its results
// folder (summary.json says interrupted too, and summary.md has a banner).
const InterruptedMarker = "INTERRUPTED"

// Results are data: a run never writes into a folder that holds anything.
// claimOutDir returns the run's folder, created empty: --out as given (refused
// when it exists and is not empty), or results/<UTC timestamp>, with -2, -3,
// … appended when another run took that name in the same second (os.Mkdir
// either creates the folder or fails: two runs cannot both get it).
func claimOutDir(out string, now time.Time) (string, error) {
	if out != "" {
		if err := checkOutDirEmpty(out); err != nil {
			return "", usageError{err}
		}
		return out, os.MkdirAll(out, 0o755)
	}
	base := filepath.Join("results", now.UTC().Format("2006-01-02T150405Z"))
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return "", err
	}
	for i := 1; i <= 1000; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("no free results folder name after %s-1000", base)
}

// checkOutDirEmpty accepts a folder that does not exist or is empty.
func checkOutDirEmpty(dir string) error {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("--out %s exists and is not a folder", dir)
	}
	if _, err := f.Readdirnames(1); errors.Is(err, io.EOF) {
		return nil
	}
	return fmt.Errorf("--out %s exists and is not empty: a run never writes over results (name a new folder, or omit --out for results/<UTC timestamp>)", dir)
}

// signalCause is the cause of the run's context when a signal ended it.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return "interrupted by " + sigName(c.sig) }

func sigName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// InterruptedBy names what ended ctx: a signal ("SIGINT"), or ctx's error.
func InterruptedBy(ctx context.Context) string {
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) {
		return sigName(sc.sig)
	}
	if ctx.Err() != nil {
		return ctx.Err().Error()
	}
	return ""
}

// interruptedExit is the exit status of a run a signal stopped: 128 + the
// signal's number, as a shell reports it (130 for SIGINT, 143 for SIGTERM);
// 1 otherwise.
func interruptedExit(ctx context.Context) int {
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) {
		if s, ok := sc.sig.(syscall.Signal); ok {
			return 128 + int(s)
		}
	}
	return 1
}
