package merge

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A result without health (a generator from before it) merges into a
// result without health: the sum would not be the whole's. Health that
// does not add up is refused.
func TestMergeHealthAllOrNothing(t *testing.T) {
	_, parts := halves()
	dir := t.TempDir()
	a := parts[0].write(t, dir, "a.json", 1, 2)
	b := parts[1].write(t, dir, "b.json", 2, 2)
	edit := func(name string, f func(h map[string]any)) string {
		t.Helper()
		g := readMap(t, b)
		if f == nil {
			delete(g, "health")
		} else {
			f(g["health"].(map[string]any))
		}
		out, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	m, err := Files([]string{a, edit("old.json", nil)})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := m.Text(&text); err != nil {
		t.Fatal(err)
	}
	if m.JSON.Health != nil || strings.Contains(text.String(), "Generator:") {
		t.Errorf("merged with a result without health: health %+v, text:\n%s", m.JSON.Health, text.String())
	}

	for _, c := range []struct {
		name, want string
		f          func(h map[string]any)
	}{
		{"count", "send lag histogram holds", func(h map[string]any) { h["send_lag_ms"].(map[string]any)["n"] = 1.0 }},
		{"buckets", "overlap", func(h map[string]any) {
			hs := h["histograms"].(map[string]any)
			buckets := hs["sched_latency"].([]any)
			first := buckets[0].(map[string]any)
			first["hi_s"] = first["hi_s"].(float64) * 1.5 // another runtime's boundaries
		}},
	} {
		if _, err := Files([]string{a, edit(c.name+".json", c.f)}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
}
