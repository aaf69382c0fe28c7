// Package buckets shapes the app's latency histograms: a native histogram
// (bucket factor 1.1) that resolves sub-millisecond times, plus classic
// buckets from 50 µs to 10 s for scrapers and queries that only know those.
package buckets

import "github.com/prometheus/client_golang/prometheus"

// Buckets are the classic bucket bounds, in seconds.
var Buckets = []float64{
	50e-6, 100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3,
	1, 2.5, 5, 10,
}

// Opts returns histogram options with both bucket layouts.
func Opts(name, help string) prometheus.HistogramOpts {
	return prometheus.HistogramOpts{
		Name:                            name,
		Help:                            help,
		Buckets:                         Buckets,
		NativeHistogramBucketFactor:     1.1,
		NativeHistogramMaxBucketNumber:  160,
		NativeHistogramMinResetDuration: 0,
	}
}
