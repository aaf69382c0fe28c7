package compare

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// settingDiff is one setting of the runs (a metadata.json key) that
// differs, and the cells it bears on.
type settingDiff struct {
	Key     string
	Text    string            // "app cpus 2 → 0.5"
	Applies func(string) bool // the targets whose cells it bears on
}

// runSetting is a metadata.json key whose difference makes cells not
// comparable, unless compare is told to judge across it (--across KEY).
type runSetting struct {
	Key  string
	Diff func(a, b *Run) []settingDiff
}

func allTargets(string) bool       { return true }
func appTarget(t string) bool      { return t != report.TargetOriginal }
func originalTarget(t string) bool { return t == report.TargetOriginal }

// runSettings are the settings compared, in the order they are listed.
// A key absent from one side's metadata.json (an older run) is not a
// difference, except the CPU limits, compared service by service as
// before.
var runSettings = []runSetting{
	{"quick", func(a, b *Run) []settingDiff {
		if a.Summary.Quick == b.Summary.Quick {
			return nil
		}
		return []settingDiff{{"quick", fmt.Sprintf("quick %v → %v", a.Summary.Quick, b.Summary.Quick), allTargets}}
	}},
	{"cpu_limits", func(a, b *Run) []settingDiff {
		// The original's own services bear on its cells alone (the
		// targets run one after the other, never together); every other
		// service's on every cell.
		var d []settingDiff
		for _, s := range cpuLimits(a, b, func(name string) bool { return !originalServices[name] }) {
			d = append(d, settingDiff{"cpu_limits", s, allTargets})
		}
		for _, s := range cpuLimits(a, b, func(name string) bool { return originalServices[name] }) {
			d = append(d, settingDiff{"cpu_limits", s, originalTarget})
		}
		return d
	}},
	{"app_pool_size", scalarSetting("app_pool_size", "app pool size", appTarget)},
	{"original_pool_size", scalarSetting("original_pool_size", "original pool size", originalTarget)},
}

// scalarSetting compares one metadata.json value recorded on both sides.
func scalarSetting(key, label string, applies func(string) bool) func(a, b *Run) []settingDiff {
	return func(a, b *Run) []settingDiff {
		va, oka := a.Meta.Raw[key]
		vb, okb := b.Meta.Raw[key]
		if !oka || !okb || bytes.Equal(bytes.TrimSpace(va), bytes.TrimSpace(vb)) {
			return nil
		}
		show := func(v []byte) string { return runresult.CleanLine(strings.Trim(string(v), `"`)) }
		return []settingDiff{{key, fmt.Sprintf("%s %s → %s", label, show(va), show(vb)), applies}}
	}
}

// SettingKeys are the settings --across accepts.
func SettingKeys() []string {
	var k []string
	for _, s := range runSettings {
		k = append(k, s.Key)
	}
	return k
}

// settingDiffs is every setting that differs between the two runs.
func settingDiffs(a, b *Run) []settingDiff {
	var d []settingDiff
	for _, s := range runSettings {
		d = append(d, s.Diff(a, b)...)
	}
	return d
}

// parseAcross reads --across values: keys, comma-separated or repeated.
func parseAcross(values []string) (map[string]bool, error) {
	known := map[string]bool{}
	for _, k := range SettingKeys() {
		known[k] = true
	}
	across := map[string]bool{}
	for _, v := range values {
		for _, k := range strings.Split(v, ",") {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			if !known[k] {
				keys := SettingKeys()
				sort.Strings(keys)
				return nil, fmt.Errorf("--across %s: not a setting compare knows (%s)", k, strings.Join(keys, ", "))
			}
			across[k] = true
		}
	}
	return across, nil
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
