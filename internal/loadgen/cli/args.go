// Package cli is the loadtest command line: wrk2's options (parsed the way
// getopt_long does, so "-t12 -c400 -d30s -R4000" works as with wrk2) plus
// ours, and the run around the engine: header, progress, reports, metrics.
package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/loadgen"
	"github.com/macrobench/macrobench/internal/shared/formats"
)

// Options is a parsed command line.
type Options struct {
	Config      loadgen.Config
	Latency     bool // -L
	ULatency    bool // -U (sets Latency too)
	JSONFile    string
	HgrmFile    string
	MetricsAddr string
	MetricsWait time.Duration // keep serving metrics this long after the run
	RunID       string
	Help        bool
	Version     bool
}

type option struct {
	short  byte
	long   string
	hasArg bool
	set    func(o *Options, v string) error
}

var options = []option{
	{'t', "threads", true, func(o *Options, v string) (err error) { o.Config.Threads, err = parseCount(v); return }},
	{'c', "connections", true, func(o *Options, v string) (err error) { o.Config.Connections, err = parseCount(v); return }},
	{'d', "duration", true, func(o *Options, v string) (err error) { o.Config.Duration, err = formats.Duration(v); return }},
	{'R', "rate", true, func(o *Options, v string) (err error) {
		if o.Config.Rate, err = parseMetric(v); err == nil && !(o.Config.Rate >= 1) {
			err = fmt.Errorf("must be at least 1 request/s, got %s (leave -R out for a closed loop)", v)
		}
		return
	}},
	{'H', "header", true, func(o *Options, v string) error { o.Config.Headers = append(o.Config.Headers, v); return nil }},
	{'L', "latency", false, func(o *Options, _ string) error { o.Latency = true; return nil }},
	{'U', "u_latency", false, func(o *Options, _ string) error { o.Latency, o.ULatency = true, true; return nil }}, // implies -L, as in wrk2
	{0, "timeout", true, func(o *Options, v string) (err error) { o.Config.Timeout, err = formats.Duration(v); return }},
	{0, "json", true, func(o *Options, v string) error { o.JSONFile = v; return nil }},
	{0, "hgrm", true, func(o *Options, v string) error { o.HgrmFile = v; return nil }},
	{0, "warmup", true, func(o *Options, v string) (err error) { o.Config.Warmup, err = formats.Duration(v); return }},
	{0, "metrics-addr", true, func(o *Options, v string) error { o.MetricsAddr = v; return nil }},
	{0, "metrics-linger", true, func(o *Options, v string) (err error) { o.MetricsWait, err = formats.Duration(v); return }},
	{0, "run-id", true, func(o *Options, v string) error { o.RunID = v; return nil }},
	{0, "start-at", true, func(o *Options, v string) (err error) {
		if o.Config.StartAt, err = time.Parse(time.RFC3339Nano, v); err != nil {
			err = fmt.Errorf("invalid time %q: want RFC 3339, e.g. 2026-11-30T01:00:05.250Z", v)
		}
		return
	}},
	{0, "part", true, func(o *Options, v string) error {
		i, n, ok := strings.Cut(v, "/")
		pi, err1 := strconv.Atoi(i)
		pn, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || pn < 1 || pi < 1 || pi > pn {
			return fmt.Errorf("invalid part %q: want I/N with 1 <= I <= N, e.g. 1/2", v)
		}
		o.Config.Part, o.Config.Parts = pi, pn
		return nil
	}},
	{'h', "help", false, func(o *Options, _ string) error { o.Help = true; return nil }},
	{'v', "version", false, func(o *Options, _ string) error { o.Version = true; return nil }},
	// wrk2 options we do not implement: refused by name, never ignored.
	{'s', "script", true, func(*Options, string) error {
		return errors.New("-s/--script: Lua scripts are not supported by this wrk2-compatible generator")
	}},
	{'B', "batch_latency", false, func(*Options, string) error {
		return errors.New("-B/--batch_latency is not supported (latency is always measured per request)")
	}},
}

func lookupShort(c byte) *option {
	for i := range options {
		if options[i].short == c && c != 0 {
			return &options[i]
		}
	}
	return nil
}

func lookupLong(name string) *option {
	for i := range options {
		if options[i].long == name {
			return &options[i]
		}
	}
	return nil
}

// Parse reads wrk2's command line: short options with attached or separate
// values (-t12, -t 12), grouped flags (-LU), long options (--rate 10,
// --rate=10), "--" ending options, and exactly one URL anywhere.
func Parse(args []string) (*Options, error) {
	o := &Options{Config: loadgen.Config{
		Threads:     2,
		Connections: 10,
		Duration:    10 * time.Second,
		Timeout:     2 * time.Second,
	}}
	var urls []string
	set := func(opt *option, v string) error {
		if err := opt.set(o, v); err != nil {
			if opt.short == 's' || opt.short == 'B' {
				return err
			}
			return fmt.Errorf("%s: %v", opt.name(), err)
		}
		return nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			urls = append(urls, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a[2:], "=")
			opt := lookupLong(name)
			if opt == nil {
				return nil, fmt.Errorf("unknown option --%s", name)
			}
			if opt.hasArg && !hasValue {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("option --%s needs a value", name)
				}
				i++
				value = args[i]
			} else if !opt.hasArg && hasValue {
				return nil, fmt.Errorf("option --%s takes no value", name)
			}
			if err := set(opt, value); err != nil {
				return nil, err
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				opt := lookupShort(a[j])
				if opt == nil {
					return nil, fmt.Errorf("unknown option -%c", a[j])
				}
				if !opt.hasArg {
					if err := set(opt, ""); err != nil {
						return nil, err
					}
					continue
				}
				value := a[j+1:]
				if value == "" {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("option -%c needs a value", a[j])
					}
					i++
					value = args[i]
				}
				if err := set(opt, value); err != nil {
					return nil, err
				}
				break
			}
		default:
			urls = append(urls, a)
		}
	}
	if o.Help || o.Version {
		return o, nil
	}
	switch len(urls) {
	case 0:
		return nil, errors.New("missing URL (usage: loadtest <options> <url>)")
	case 1:
		o.Config.URL = urls[0]
	default:
		return nil, fmt.Errorf("one URL expected, got %d: %s", len(urls), strings.Join(urls, " "))
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.MetricsWait < 0 {
		return nil, errors.New("--metrics-linger must not be negative")
	}
	return o, nil
}

func (opt *option) name() string {
	if opt.short != 0 {
		return fmt.Sprintf("-%c/--%s", opt.short, opt.long)
	}
	return "--" + opt.long
}

// parseMetric reads a number with an optional k, M or G suffix (wrk's
// scan_metric): 4000, 4k.
func parseMetric(v string) (float64, error) {
	num, scale := v, 1.0
	if n := len(v); n > 0 {
		switch v[n-1] {
		case 'k', 'K':
			num, scale = v[:n-1], 1e3
		case 'M':
			num, scale = v[:n-1], 1e6
		case 'G':
			num, scale = v[:n-1], 1e9
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid number %q", v)
	}
	return f * scale, nil
}

func parseCount(v string) (int, error) {
	f, err := parseMetric(v)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < 0 || f > 1e7 {
		return 0, fmt.Errorf("invalid count %q: want a whole number up to 10M", v)
	}
	return int(f), nil
}
