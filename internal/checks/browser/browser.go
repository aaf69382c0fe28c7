// Package browser opens a results page (index.html) in headless Chromium
// with the network off, as a reader's browser would render it: the DOM
// after rendering, the console's messages and every request the page made
// (from Chromium's own net log), and a screenshot. Used by the tests of
// the page and by scripts/e2e.sh's screenshot step.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Find is Chromium's binary: $MACROBENCH_CHROMIUM, or chromium (Debian's
// package), chromium-browser or google-chrome on the PATH.
func Find() (string, error) {
	if p := os.Getenv("MACROBENCH_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no headless browser: apt-get install chromium (scripts/test.sh does), or set MACROBENCH_CHROMIUM")
}

// flags run Chromium headless with every request sent to a proxy that
// refuses it (127.0.0.9: nothing listens on port 9), loopback included,
// and its own background traffic (updates, sync) off.
func flags(profile string) []string {
	return []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--no-first-run", "--disable-default-apps", "--user-data-dir=" + profile}
}

// Page is a page as Chromium rendered it.
type Page struct {
	DOM string
	// Console is every message the page wrote to the console (a page
	// without script writes none; a failed resource does).
	Console []string
	// Requests are the URLs the page asked for over the network (the
	// browser's own background requests aside).
	Requests []string
}

// Open renders the file at path and returns its DOM, console and requests.
func Open(ctx context.Context, bin, path string) (*Page, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "macrobench-browser-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	netlog := filepath.Join(tmp, "net.json")
	args := append(flags(filepath.Join(tmp, "profile")), "--enable-logging=stderr", "--v=0", "--log-net-log="+netlog,
		"--dump-dom", "file://"+abs)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s --dump-dom: %v\n%s", bin, err, tail(stderr.String(), 2000))
	}
	p := &Page{DOM: string(dom)}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if i := strings.Index(l, ":CONSOLE"); i >= 0 {
			p.Console = append(p.Console, strings.TrimSpace(l[i+1:]))
		}
	}
	if p.Requests, err = pageRequests(netlog); err != nil {
		return nil, err
	}
	return p, nil
}

// pageRequests reads Chromium's net log: the URL of every request whose
// initiator is an origin (a page: "null" for a file), not the browser
// itself ("not an origin").
func pageRequests(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chromium's net log: %w", err)
	}
	var log struct {
		Events []struct {
			Params struct {
				URL       string `json:"url"`
				Initiator string `json:"initiator"`
			} `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		return nil, fmt.Errorf("chromium's net log: %w", err)
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range log.Events {
		if u := e.Params.URL; u != "" && e.Params.Initiator != "" && e.Params.Initiator != "not an origin" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out, nil
}

// fetching are the markup that makes a browser load something: a source,
// a stylesheet or icon link, an import, a url() other than a fragment.
var fetching = regexp.MustCompile(`(?i)\s(src|srcset|poster|data)=|<link\s|@import|url\(\s*["']?[^#"'\s)]|<(iframe|embed|object|script)\b`)

// Fetches lists what in dom would load anything besides the page itself
// (a file beside it included, which the net log does not show).
func Fetches(dom string) []string {
	var out []string
	for _, m := range fetching.FindAllStringIndex(dom, -1) {
		out = append(out, dom[m[0]:min(len(dom), m[1]+60)])
	}
	return out
}

// Screenshot writes a PNG of the page at path, width × height pixels.
func Screenshot(ctx context.Context, bin, path, png string, width, height int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(png)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "macrobench-browser-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	args := append(flags(filepath.Join(tmp, "profile")), fmt.Sprintf("--window-size=%d,%d", width, height),
		"--screenshot="+out, "file://"+abs)
	if b, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s --screenshot: %v\n%s", bin, err, tail(string(b), 2000))
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		return fmt.Errorf("%s --screenshot wrote no %s (%v)", bin, out, err)
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
