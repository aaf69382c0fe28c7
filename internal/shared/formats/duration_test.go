package formats

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"2s": 2 * time.Second, "30s": 30 * time.Second, "5m": 5 * time.Minute, "1h": time.Hour, "30": 30 * time.Second,
		"1.5s": 1500 * time.Millisecond, "500ms": 500 * time.Millisecond, "1m30s": 90 * time.Second, "250us": 250 * time.Microsecond,
	} {
		if got, err := Duration(in); err != nil || got != want {
			t.Errorf("Duration(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
}
