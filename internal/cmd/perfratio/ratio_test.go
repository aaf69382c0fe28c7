package main

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	out := "Running 30s test @ http://127.0.0.1:8000/index\n  79598 requests in 30.10s, 13.51MB read\nRequests/sec:   2644.71\nTransfer/sec:    459.73KB\ncpu 0.50+1.50\n"
	r, err := Parse(strings.NewReader(out))
	if err != nil || r.RequestsPerSec != 2644.71 || r.Requests != 79598 || r.CPU != 2 {
		t.Fatalf("%+v %v", r, err)
	}
	if us := r.CPUPerRequest(); us < 25.12 || us > 25.13 {
		t.Fatalf("cpu per request = %v", us)
	}
	if _, err := Parse(strings.NewReader("unable to connect\n")); err == nil {
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
