package browser

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

func chromium(t *testing.T) string {
	t.Helper()
	bin, err := Find()
	if err != nil {
		testenv.Missing(t, "%v", err)
	}
	return bin
}

// The checker catches what a page must not do: fetch a stylesheet and an
// image from the network, load a file beside it, write to the console;
// and finds nothing in a page that does none of it.
func TestOpenSeesRequestsConsoleAndFetches(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.html")
	os.WriteFile(bad, []byte(`<!DOCTYPE html><html><head><link rel="stylesheet" href="https://fonts.example.com/x.css"></head>`+
		`<body><img src="http://example.com/x.png"><img src="beside.png"><script>console.error("boom")</script><p>hi</p></body></html>`), 0o644)
	good := filepath.Join(dir, "good.html")
	os.WriteFile(good, []byte(`<!DOCTYPE html><html><head><style>p{color:#000}</style></head><body><p>hi</p>`+
		`<svg xmlns="http://www.w3.org/2000/svg"><defs><pattern id="h"/></defs><rect fill="url(#h)"><title>1 ms</title></rect></svg></body></html>`), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	p, err := Open(ctx, bin, bad)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Requests) != 2 || len(p.Console) != 1 || len(Fetches(p.DOM)) != 4 {
		t.Errorf("bad page: requests %q, console %q, fetches %q", p.Requests, p.Console, Fetches(p.DOM))
	}
	p, err = Open(ctx, bin, good)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Requests) != 0 || len(p.Console) != 0 || len(Fetches(p.DOM)) != 0 || len(p.DOM) < 100 {
		t.Errorf("good page: requests %q, console %q, fetches %q, DOM %q", p.Requests, p.Console, Fetches(p.DOM), p.DOM)
	}
	png := filepath.Join(dir, "good.png")
	if err := Screenshot(ctx, bin, good, png, 800, 600); err != nil {
		t.Fatal(err)
	}
}
