package benchrun

import (
	"slices"
	"strings"
	"testing"
)

func TestShareArgsSplitsConnectionsThreadsAndRate(t *testing.T) {
	in := []string{"-t2", "-c400", "-d3s", "-R", "4000", "--latency", "--run-id", "x"}
	got, err := ShareArgs(in, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-t2", "-c200", "-d3s", "-R", "2000", "--latency", "--run-id", "x"}
	if !slices.Equal(got, want) {
		t.Errorf("ShareArgs(%v, 2) = %v, want %v", in, got, want)
	}
	if in[1] != "-c400" {
		t.Error("the caller's arguments changed")
	}
	got, _ = ShareArgs([]string{"-t4", "-c6", "-d1s"}, 3)
	if !slices.Equal(got, []string{"-t2", "-c2", "-d1s"}) {
		t.Errorf("threads at most the share's connections: %v", got)
	}
	if _, err := ShareArgs([]string{"-t2", "-c5", "-d1s"}, 2); err == nil || !strings.Contains(err.Error(), "multiple of --generators") {
		t.Errorf("5 connections in 2 equal shares: err %v", err)
	}
}
