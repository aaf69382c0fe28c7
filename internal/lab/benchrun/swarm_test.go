package benchrun

import (
	"errors"
	"io"
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

func TestSwarmFlags(t *testing.T) {
	c, err := ParseFlags([]string{"--swarm", "--stack", "s1", "-c", "a.yaml", "-c", "b.yaml"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Swarm || c.Stack != "s1" || !slices.Equal(c.StackFiles, []string{"a.yaml", "b.yaml"}) || c.Generators != 2 {
		t.Errorf("--swarm: %+v; want stack s1, two stack files, 2 generators by default", c)
	}
	if c, err := ParseFlags([]string{"--swarm", "--generators", "1"}, io.Discard); err != nil || c.Generators != 1 {
		t.Errorf("--swarm --generators 1: %d, %v", c.Generators, err)
	}
	if c, _ := ParseFlags(nil, io.Discard); c.Swarm || c.Generators != 1 {
		t.Errorf("without --swarm: %+v", c)
	}
	for _, bad := range [][]string{
		{"--swarm", "--target", "http://h:8000"},
		{"--swarm", "--targets", "app,original"},
		{"--swarm", "--connections", "3"},
		{"--stack", "s1"},
		{"-c", "a.yaml"},
	} {
		_, err := ParseFlags(bad, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err %v, want a usage error", bad, err)
		}
	}
}
