package runresult

import "testing"

// Scheduler latency figures are the upper bounds of the buckets holding
// the 50th, 99th and last value (nearest rank), in ms.
func TestSchedSpread(t *testing.T) {
	b := []Bucket{
		{LoS: 0, HiS: 1e-6, N: 50},    // values 1..50
		{LoS: 1e-6, HiS: 2e-6, N: 49}, // 51..99
		{LoS: 2e-6, HiS: 4e-6, N: 1},  // 100
		{LoS: 8e-3, HiS: 16e-3, N: 0}, // empty buckets count nothing
	}
	if s := SchedSpread(b[:3]); s != (Spread{N: 100, P50: 0.001, P99: 0.002, Max: 0.004}) {
		t.Errorf("spread %+v", s)
	}
	b[3].N = 1 // 101 values: p50 is the 51st, p99 the 100th
	if s := SchedSpread(b); s != (Spread{N: 101, P50: 0.002, P99: 0.004, Max: 16}) {
		t.Errorf("spread %+v", s)
	}
	if s := SchedSpread(nil); s != (Spread{}) {
		t.Errorf("empty: %+v", s)
	}
}

func TestMergeBuckets(t *testing.T) {
	m, err := MergeBuckets([]Bucket{{1, 2, 3}, {4, 8, 1}}, []Bucket{{2, 4, 5}, {1, 2, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Bucket{{1, 2, 4}, {2, 4, 5}, {4, 8, 1}}; len(m) != 3 || m[0] != want[0] || m[1] != want[1] || m[2] != want[2] {
		t.Errorf("merged %v, want %v", m, want)
	}
	if _, err := MergeBuckets([]Bucket{{1, 2, 3}}, []Bucket{{1, 3, 1}}); err == nil {
		t.Error("overlapping buckets of different boundaries merged")
	}
}

func TestCPUDerive(t *testing.T) {
	c := CPU{UsedS: 1.5, WallS: 10, LimitCPUs: 0.5}
	c.Derive()
	if c.CapacityS != 5 || c.UsedOfLimit != 0.3 {
		t.Errorf("%+v", c)
	}
}

// Without a capacity (no window, or no limit) the share of it used is 0,
// not a division by zero.
func TestCPUDeriveWithoutCapacity(t *testing.T) {
	for _, c := range []CPU{{UsedS: 1.5, WallS: 0, LimitCPUs: 2, UsedOfLimit: 7}, {UsedS: 1.5, WallS: 10, LimitCPUs: 0, UsedOfLimit: 7}} {
		c.Derive()
		if c.CapacityS != 0 || c.UsedOfLimit != 0 {
			t.Errorf("%+v", c)
		}
	}
}
