package loadgen

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// LatencyBuckets are the classic buckets of loadtest_latency_seconds, 50 µs to
// 60 s; native buckets (factor 1.1) are exposed next to them.
var LatencyBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
}

// Metrics is the generator's own Prometheus registry for one run. Its
// observers are curried with the run's labels up front, so recording a
// response is a few atomic operations.
type Metrics struct {
	reg         *prometheus.Registry
	requests    prometheus.Counter
	errors      [numErrorClasses]prometheus.Counter
	corrected   prometheus.Observer
	uncorrected prometheus.Observer
	targetRate  prometheus.Gauge
	running     prometheus.Gauge
}

// NewMetrics registers the loadtest_* metrics (labelled run_id and path) and
// the Go and process collectors.
func NewMetrics(runID, path string) *Metrics {
	reg := prometheus.NewRegistry()
	// What collectors.NewGoCollector and NewProcessCollector return, without
	// importing package collectors, which links database/sql into the
	// generator (loadtest/deps_test.go).
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{})) //nolint:staticcheck // SA1019, see above
	labels := prometheus.Labels{"run_id": runID, "path": path}

	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "loadtest_requests_total",
		Help: "Responses received by the load generator (any status).",
	}, []string{"run_id", "path"})
	errors := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "loadtest_errors_total",
		Help: "Errors seen by the load generator, by wrk's classes (status = non-2xx/3xx response; timeout = a request outstanding for --timeout, counted once as it happens, its response still awaited).",
	}, []string{"run_id", "path", "class"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:                            "loadtest_latency_seconds",
		Help:                            "Response latency seen by the client; corrected = from the intended send time (coordinated omission), uncorrected = from the actual send.",
		Buckets:                         LatencyBuckets,
		NativeHistogramBucketFactor:     1.1,
		NativeHistogramMaxBucketNumber:  200,
		NativeHistogramMinResetDuration: time.Hour,
	}, []string{"run_id", "path", "measure"})
	target := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "loadtest_target_rate",
		Help: "Target request rate in requests/s (0 = closed loop).",
	}, []string{"run_id", "path"})
	running := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "loadtest_running",
		Help: "1 while the run is sending requests.",
	}, []string{"run_id", "path"})
	reg.MustRegister(requests, errors, latency, target, running)

	m := &Metrics{
		reg:        reg,
		requests:   requests.With(labels),
		targetRate: target.With(labels),
		running:    running.With(labels),
	}
	for c := ErrorClass(0); c < numErrorClasses; c++ {
		// Created up front so every class is exported, also at zero.
		m.errors[c] = errors.WithLabelValues(runID, path, c.String())
	}
	m.corrected = latency.WithLabelValues(runID, path, "corrected")
	m.uncorrected = latency.WithLabelValues(runID, path, "uncorrected")
	return m
}

// Handler serves the registry (text and protobuf, so native histograms reach
// a Prometheus that asks for them).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// Registry exposes the registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) observe(corrected, uncorrected int64, status int) {
	m.requests.Inc()
	m.corrected.Observe(float64(corrected) / 1e9)
	m.uncorrected.Observe(float64(uncorrected) / 1e9)
	if status < 200 || status > 399 {
		m.errors[ErrStatus].Inc()
	}
}

func (m *Metrics) fail(class ErrorClass) { m.errors[class].Inc() }
