package formats

import (
	"math"
	"strings"
	"testing"
)

func TestFraction(t *testing.T) {
	for s, want := range map[string]float64{"1%": 0.01, "0.01": 0.01, "10%": 0.1, "0": 0, "100%": 1} {
		if v, err := Fraction(s, 1); err != nil || v != want {
			t.Errorf("%s: %v %v, want %v", s, v, err, want)
		}
	}
	if v, err := Fraction("250%", math.Inf(1)); err != nil || v != 2.5 {
		t.Errorf("no upper bound: %v %v", v, err)
	}
	for s, want := range map[string]string{"150%": "outside 0..100%", "-1%": "negative", "x": "not a number"} {
		if _, err := Fraction(s, 1); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", s, err, want)
		}
	}
}
