package perf

import (
	"strings"
	"testing"
)

func TestRequestsPerSec(t *testing.T) {
	out := "Running 30s test @ http://127.0.0.1:8000/index\n  79598 requests in 30.10s, 13.51MB read\nRequests/sec:   2644.71\nTransfer/sec:    459.73KB\n"
	if v, err := RequestsPerSec(strings.NewReader(out)); err != nil || v != 2644.71 {
		t.Fatalf("%v %v", v, err)
	}
	if _, err := RequestsPerSec(strings.NewReader("unable to connect\n")); err == nil {
		t.Fatal("no error for a report without Requests/sec")
	}
}

func TestMedian(t *testing.T) {
	rounds := []Round{{100, 90}, {100, 120}, {200, 190}}
	if m := Median(rounds); m != 0.95 {
		t.Fatalf("median = %v", m)
	}
	if m := Median(rounds[:2]); m != (0.9+1.2)/2 {
		t.Fatalf("median = %v", m)
	}
}
