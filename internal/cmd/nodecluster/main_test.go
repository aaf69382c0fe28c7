package main

import (
	"fmt"
	"testing"
)

func TestLoadPlan(t *testing.T) {
	roles := []string{"manager", "app", "gen1", "gen2"}
	plan, err := loadPlan([]string{"manager=pg:15", "base:1", "gen1,gen2=lt:dev", "manager=prom:3"}, roles)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"manager": {"pg:15", "base:1", "prom:3"},
		"app":     {"base:1"},
		"gen1":    {"base:1", "lt:dev"},
		"gen2":    {"base:1", "lt:dev"},
	}
	if fmt.Sprint(plan) != fmt.Sprint(want) {
		t.Errorf("plan %v, want %v", plan, want)
	}
	for _, bad := range [][]string{{"gen2=x"}, {"app="}, {"db=x"}} {
		if _, err := loadPlan(bad, []string{"manager", "app", "gen1"}); err == nil {
			t.Errorf("loadPlan(%q): no error", bad)
		}
	}
	if plan, err := loadPlan(nil, roles); err != nil || len(plan) != 0 {
		t.Errorf("no --load: %v, %v", plan, err)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"run", "--id", "x"}} {
		if code, err := run(args); err == nil || code != 2 {
			t.Errorf("run(%q) = %d, %v; want 2 and a usage error", args, code, err)
		}
	}
}
