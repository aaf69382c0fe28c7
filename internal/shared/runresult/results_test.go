package runresult

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

func writeGen(t *testing.T, js string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "g.json")
	if err := os.WriteFile(p, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The generator's JSON contract: in_flight_at_end read as it is, timeouts a
// flag over the responses and the in-flight requests (not added to the
// attempts); a file from before in_flight_at_end has its timeouts as the
// requests in flight (they were sent and never counted as responses).
func TestReadGeneratorAccounting(t *testing.T) {
	const times = `"start": "2026-11-27T04:18:00Z", "end": "2026-11-27T04:18:03Z"`
	g, err := ReadGenerator(writeGen(t, `{`+times+`, "requests": 90, "in_flight_at_end": 10,
		"errors": {"connect": 1, "read": 2, "write": 3, "timeout": 12, "status": 4}}`))
	if err != nil {
		t.Fatal(err)
	}
	if g.InFlightAtEnd != 10 || g.Attempts() != 90+1+2+3+10 || g.Successes() != 86 {
		t.Errorf("new contract: in flight %d, attempts %d, successes %d", g.InFlightAtEnd, g.Attempts(), g.Successes())
	}
	if r := ErrorRatio(g.Requests, g.InFlightAtEnd, g.Errors); r != float64(1+2+3+4+12)/106 {
		t.Errorf("error ratio %v", r)
	}
	legacy, err := ReadGenerator(writeGen(t, `{`+times+`, "requests": 90, "errors": {"timeout": 7}}`))
	if err != nil {
		t.Fatal(err)
	}
	if legacy.InFlightAtEnd != 7 || legacy.Attempts() != 97 {
		t.Errorf("legacy: in flight %d, attempts %d", legacy.InFlightAtEnd, legacy.Attempts())
	}
	zero, _ := ReadGenerator(writeGen(t, `{`+times+`, "requests": 90, "in_flight_at_end": 0, "errors": {"timeout": 7}}`))
	if zero == nil || zero.InFlightAtEnd != 0 || zero.Attempts() != 90 {
		t.Errorf("an explicit 0 in flight is 0: %+v", zero)
	}
	if _, err := ReadGenerator(writeGen(t, `{"requests": 1}`)); err == nil {
		t.Error("no start or end: want an error")
	}
}

// The accounting: attempts are responses + socket errors + in flight;
// timeouts are a flag among them; failures are capped at the attempts.
func TestAccounting(t *testing.T) {
	for _, c := range []struct {
		name                string
		responses, inFlight int64
		e                   Errors
		attempts, failed    int64
		ratio               float64
	}{
		{"clean", 100, 0, Errors{}, 100, 0, 0},
		{"in flight at the end is no failure", 98, 2, Errors{}, 100, 0, 0},
		{"timeouts are among responses and in flight, not added", 90, 10, Errors{Timeout: 15}, 100, 15, 0.15},
		{"socket errors are attempts", 90, 0, Errors{Connect: 5, Read: 3, Write: 2}, 100, 10, 0.1},
		{"non-2xx", 100, 0, Errors{Status: 25}, 100, 25, 0.25},
		{"a late 503 counts twice, capped", 10, 0, Errors{Status: 10, Timeout: 10}, 10, 10, 1},
		{"nothing", 0, 0, Errors{}, 0, 0, 0},
	} {
		a, f, r := Attempts(c.responses, c.inFlight, c.e), Failed(c.responses, c.inFlight, c.e), ErrorRatio(c.responses, c.inFlight, c.e)
		if a != c.attempts || f != c.failed || r != c.ratio {
			t.Errorf("%s: attempts %d failed %d ratio %v, want %d %d %v", c.name, a, f, r, c.attempts, c.failed, c.ratio)
		}
	}
}

// Fields names every field of Latency by its JSON key.
func TestLatencyFieldsAreAllFields(t *testing.T) {
	var l Latency
	b, _ := json.Marshal(l)
	var keys map[string]any
	json.Unmarshal(b, &keys)
	var want, got []string
	for k := range keys {
		want = append(want, k)
	}
	for i, f := range l.Fields() {
		got = append(got, f.Name)
		*f.Value = float64(i + 1)
	}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Fields %v, JSON keys %v", got, want)
	}
	b, _ = json.Marshal(l)
	json.Unmarshal(b, &keys)
	for i, f := range l.Fields() {
		if keys[f.Name] != float64(i+1) {
			t.Errorf("%s: JSON %v, want %d", f.Name, keys[f.Name], i+1)
		}
	}
}
