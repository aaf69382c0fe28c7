package proc

// The lab's one wait for an HTTP endpoint: a GET repeated until the answer
// is the one wanted (200, or a body that says so), the context ends or a
// timeout passes. The app, the references and tools the benchmarks and tests
// start, and the stack the bench brings up, are all waited for through it
// (Process.WaitHTTP adds "unless the process exited").

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// HTTPWaitInterval is the pause between two GETs.
const HTTPWaitInterval = 100 * time.Millisecond

// httpRequestTimeout bounds one GET, so that a server that accepts and never
// answers cannot hold a wait past its timeout.
const httpRequestTimeout = 5 * time.Second

// HTTPGet makes one GET of url (bounded by a few seconds and by ctx) and
// returns the status and up to 1 MB of the body.
func HTTPGet(ctx context.Context, url string) (status int, body []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, httpRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// WaitHTTPOK waits until GET url answers 200 (see WaitHTTPUntil).
func WaitHTTPOK(ctx context.Context, url string, timeout time.Duration) error {
	return WaitHTTPUntil(ctx, url, timeout, func(status int, _ []byte) bool { return status == http.StatusOK })
}

// WaitHTTPUntil repeats GET url every HTTPWaitInterval until ok(status, body) holds, and
// returns nil then (timeout 0: one GET). It gives up when timeout passes (an error naming the
// last answer) or ctx ends (ctx's error, with the last answer).
func WaitHTTPUntil(ctx context.Context, url string, timeout time.Duration, ok func(status int, body []byte) bool) error {
	deadline := time.Now().Add(timeout)
	last := "no answer yet"
	for {
		status, body, err := HTTPGet(ctx, url)
		switch {
		case err != nil:
			last = err.Error()
		case ok(status, body):
			return nil
		default:
			last = fmt.Sprintf("%d %s: %.200q", status, http.StatusText(status), body)
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("GET %s: not ready after %s (last: %s)", url, timeout, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("GET %s: %w (last: %s)", url, context.Cause(ctx), last)
		case <-time.After(min(HTTPWaitInterval, time.Until(deadline))):
		}
	}
}
