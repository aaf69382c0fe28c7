package publication

import (
	"testing"

	"github.com/macrobench/macrobench/internal/shared/formats"
)

// A transcription check: the expected values are copied from the original
// results file's text, independently of flask-gunicorn.json.
func TestFlaskMatchesSeed(t *testing.T) {
	s := Flask()
	if s.Source == "" || s.Server != "gunicorn -w 16 -b 0.0.0.0:8000 application:app" {
		t.Fatalf("source/server not named: %+v", s)
	}
	type want struct {
		ep, sc, cmd                   string
		threads, conns                int
		requests                      int64
		rps                           float64
		lat                           [3]string
		connect, read, write, timeout int64
		non2xx                        int64
	}
	wants := []want{
		{"/index", "saturation", "wrk -t12 -c400 -d30s http://127.0.0.1:8000/index", 12, 400, 79598, 2644.71, [3]string{"13.16s", "10.67s", "26.31s"}, 393, 0, 0, 4040, 0},
		{"/index", "rate4000", "wrk2 -t12 -c400 -d5m -R 4000 http://192.168.2.100:8000/index", 12, 400, 814328, 2714.49, [3]string{"0.87m", "0.86m", "4.47m"}, 28, 29, 136, 26549, 0},
		{"/index", "rate10", "wrk2 -t10 -c10 -d30s -R 10 http://192.168.2.100:8000/index", 10, 10, 310, 10.33, [3]string{"2.35ms", "0.94ms", "6.50ms"}, 0, 0, 0, 0, 0},
		{"/agents", "saturation", "wrk -t12 -c400 -d30s http://127.0.0.1:8000/agents", 12, 400, 19035, 634.05, [3]string{"619.86ms", "2.17s", "13.31s"}, 0, 66, 0, 2919, 0},
		{"/agents", "rate4000", "wrk2 -t12 -c400 -d5m -R 4000 http://192.168.2.100:8000/agents", 12, 400, 91296, 304.10, [3]string{"2.28m", "1.50m", "4.97m"}, 0, 128, 185, 40638, 0},
		{"/agents", "rate10", "wrk2 -t10 -c10 -d30s -R 10 http://192.168.2.100:8000/agents", 10, 10, 300, 10.00, [3]string{"18.74ms", "4.81ms", "47.78ms"}, 0, 0, 0, 0, 0},
		{"/agents_with_pool", "saturation", "wrk -t12 -c400 -d30s http://127.0.0.1:8000/agents_with_pool", 12, 400, 76412, 2535.06, [3]string{"12.09s", "11.67s", "26.34s"}, 199, 62, 0, 3505, 75932},
	}
	if len(s.Cells) != len(wants) {
		t.Fatalf("%d cells, want %d", len(s.Cells), len(wants))
	}
	for _, w := range wants {
		c, ok := s.Lookup(w.ep, w.sc)
		if !ok {
			t.Errorf("%s %s missing", w.ep, w.sc)
			continue
		}
		if c.Command != w.cmd || c.Threads != w.threads || c.Connections != w.conns ||
			c.Requests != w.requests || c.RequestsPerSec != w.rps {
			t.Errorf("%s %s: got %+v", w.ep, w.sc, c)
		}
		if c.Latency["avg"] != w.lat[0] || c.Latency["stdev"] != w.lat[1] || c.Latency["max"] != w.lat[2] {
			t.Errorf("%s %s latency: got %v want %v", w.ep, w.sc, c.Latency, w.lat)
		}
		if c.Errors.Connect != w.connect || c.Errors.Read != w.read || c.Errors.Write != w.write ||
			c.Errors.Timeout != w.timeout || c.Errors.Status != w.non2xx {
			t.Errorf("%s %s errors: got %+v", w.ep, w.sc, c.Errors)
		}
		// The ms values must be the printed strings converted.
		for i, k := range []string{"avg", "stdev", "max"} {
			us, _, err := formats.WrkTime(w.lat[i])
			if err != nil {
				t.Fatal(err)
			}
			ms := us / 1000
			got := map[string]float64{"avg": c.LatencyMS.Avg, "stdev": c.LatencyMS.Stdev, "max": c.LatencyMS.Max}[k]
			if d := got - ms; d > 1e-6 || d < -1e-6 {
				t.Errorf("%s %s latency_ms.%s = %v, printed %s = %v ms", w.ep, w.sc, k, got, w.lat[i], ms)
			}
		}
	}
	if _, ok := s.Lookup("/agents_with_pool", "rate4000"); ok {
		t.Error("the original did not measure /agents_with_pool at 4000 req/s")
	}
}

// The publication's own pooled endpoint failed: 99.4% of its attempts got
// no successful response; its /index at saturation did not.
func TestErrorShare(t *testing.T) {
	s := Flask()
	pool, _ := s.Lookup("/agents_with_pool", "saturation")
	if got := pool.ErrorShare(); got < 0.9935 || got > 0.9945 {
		t.Errorf("/agents_with_pool saturation: error share %.4f, want 0.994 ((75932+261)/(76412+261))", got)
	}
	index, _ := s.Lookup("/index", "saturation")
	if got := index.ErrorShare(); got != 393.0/(79598+393) {
		t.Errorf("/index saturation: error share %v", got)
	}
	if (Cell{}).ErrorShare() != 0 {
		t.Error("no attempts: want 0")
	}
}
