package formats

import "testing"

func TestParsePgbench(t *testing.T) {
	out := `number of transactions actually processed: 562
number of failed transactions: 3 (0.5%)
latency average = 28.639 ms
tps = 279.336134 (including reconnection times)
`
	s, err := ParsePgbench(out)
	if err != nil || s.TPS != 279.336134 || s.Failed != 3 {
		t.Errorf("%+v %v", s, err)
	}
	if _, err := ParsePgbench("connection refused"); err == nil {
		t.Error("no tps: want an error")
	}
}
