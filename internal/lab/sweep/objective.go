package sweep

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MinAchieved is the fraction of the offered rate a step must achieve to
// pass: below it the target did not keep up, whatever its latency.
const MinAchieved = 0.97

// Objective is the latency objective a step must meet. Flags: --slo-p99
// (a duration) and --slo-errors (a ratio, "0.1%" or "0.001").
type Objective struct {
	P99        time.Duration // corrected p99 at most this
	ErrorRatio float64       // failed ÷ attempts at most this, in [0, 1)
}

// DefaultObjective is p99 ≤ 100 ms and errors ≤ 0.1%.
func DefaultObjective() Objective {
	return Objective{P99: 100 * time.Millisecond, ErrorRatio: 0.001}
}

// Validate refuses an objective no step could be measured against, in one
// line naming the flag.
func (o Objective) Validate() error {
	if o.P99 <= 0 {
		return fmt.Errorf("--slo-p99 must be positive, got %v", o.P99)
	}
	if !(o.ErrorRatio >= 0 && o.ErrorRatio < 1) {
		return fmt.Errorf("--slo-errors must be in [0, 1), got %s", ratioText(o.ErrorRatio))
	}
	return nil
}

// String is "p99 ≤ 100 ms, errors ≤ 0.1%".
func (o Objective) String() string {
	return fmt.Sprintf("p99 ≤ %s, errors ≤ %s", MsText(ms(o.P99)), PercentText(o.ErrorRatio))
}

// Check says whether step s meets the objective and, when not, why (every
// condition it violates, "; "-separated).
func (o Objective) Check(s Step) (pass bool, why string) {
	var fails []string
	if s.Achieved < MinAchieved*s.Offered {
		fails = append(fails, fmt.Sprintf("achieved %s req/s < %g%% of %s", RateText(s.Achieved), MinAchieved*100, RateText(s.Offered)))
	}
	if s.P99 > ms(o.P99) {
		fails = append(fails, fmt.Sprintf("p99 %s > %s", MsText(s.P99), MsText(ms(o.P99))))
	}
	if r := s.errorRatio(); r > o.ErrorRatio {
		fails = append(fails, fmt.Sprintf("errors %s > %s", PercentText(r), PercentText(o.ErrorRatio)))
	}
	return len(fails) == 0, strings.Join(fails, "; ")
}

type objectiveJSON struct {
	P99MS      float64 `json:"p99_ms"`
	ErrorRatio float64 `json:"error_ratio"`
	Text       string  `json:"text,omitempty"`
}

// MarshalJSON writes {"p99_ms": 100, "error_ratio": 0.001, "text": "…"}.
func (o Objective) MarshalJSON() ([]byte, error) {
	return json.Marshal(objectiveJSON{P99MS: ms(o.P99), ErrorRatio: o.ErrorRatio, Text: o.String()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (o *Objective) UnmarshalJSON(b []byte) error {
	var j objectiveJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	o.P99 = time.Duration(math.Round(j.P99MS * 1e6))
	o.ErrorRatio = j.ErrorRatio
	return nil
}

// ParseObjective parses the two flags' values, e.g. "100ms" and "0.1%", and
// validates the result.
func ParseObjective(p99, errs string) (Objective, error) {
	d, err := ParseP99(p99)
	if err != nil {
		return Objective{}, err
	}
	r, err := ParseErrorRatio(errs)
	if err != nil {
		return Objective{}, err
	}
	o := Objective{P99: d, ErrorRatio: r}
	return o, o.Validate()
}

// ParseP99 parses --slo-p99: a Go duration with its unit ("100ms", "1.5s").
func ParseP99(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("--slo-p99 %q: want a duration with its unit, like 100ms", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("--slo-p99 must be positive, got %v", d)
	}
	return d, nil
}

// ParseErrorRatio parses --slo-errors: a percentage ("0.1%") or a ratio
// ("0.001"), in [0, 1).
func ParseErrorRatio(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("--slo-errors %q: want a percentage like 0.1%% or a ratio like 0.001", s)
	}
	if pct {
		v /= 100
	}
	if !(v >= 0 && v < 1) {
		return 0, fmt.Errorf("--slo-errors must be in [0, 1), got %s", ratioText(v))
	}
	return v, nil
}

// RegisterFlags adds --slo-p99 and --slo-errors to fs, with o's current
// values as defaults (set o to DefaultObjective first).
func (o *Objective) RegisterFlags(fs *flag.FlagSet) {
	fs.Var(p99Flag{o}, "slo-p99", "sweep objective: the highest corrected p99 a step may have (a duration, e.g. 100ms)")
	fs.Var(errorsFlag{o}, "slo-errors", "sweep objective: the highest error ratio, failed ÷ attempts, a step may have (e.g. 0.1% or 0.001)")
}

type p99Flag struct{ o *Objective }

func (f p99Flag) String() string {
	if f.o == nil {
		return ""
	}
	return f.o.P99.String()
}

func (f p99Flag) Set(s string) error {
	d, err := ParseP99(s)
	if err == nil {
		f.o.P99 = d
	}
	return err
}

type errorsFlag struct{ o *Objective }

func (f errorsFlag) String() string {
	if f.o == nil {
		return ""
	}
	return PercentText(f.o.ErrorRatio)
}

func (f errorsFlag) Set(s string) error {
	r, err := ParseErrorRatio(s)
	if err == nil {
		f.o.ErrorRatio = r
	}
	return err
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// MsText is a latency in ms, at most 3 significant digits: "100 ms", "1.23 ms".
func MsText(v float64) string { return strconv.FormatFloat(round3(v), 'f', -1, 64) + " ms" }

// PercentText is a ratio as a percentage: "0.1%", "0%", "12.3%".
func PercentText(r float64) string {
	return strconv.FormatFloat(round3(r*100), 'f', -1, 64) + "%"
}

func ratioText(r float64) string {
	if r >= 0 && r < 10 {
		return fmt.Sprintf("%g (%s)", r, PercentText(r))
	}
	return fmt.Sprintf("%g", r)
}

// RateText is a rate in req/s: to 0.1 from 100 up (312.5), else 3
// significant digits.
func RateText(r float64) string {
	if r >= 100 {
		return strconv.FormatFloat(math.Round(r*10)/10, 'f', -1, 64)
	}
	return strconv.FormatFloat(round3(r), 'f', -1, 64)
}

// round3 rounds to 3 significant digits.
func round3(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	p := math.Pow(10, 2-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}
