package loadgen

import (
	"sync"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// ErrorClass is a column of wrk's error line.
type ErrorClass int

const (
	ErrConnect ErrorClass = iota
	ErrRead
	ErrWrite
	ErrTimeout
	ErrStatus // a response that is not 2xx or 3xx
	numErrorClasses
)

var errorClassNames = [numErrorClasses]string{"connect", "read", "write", "timeout", "status"}

func (c ErrorClass) String() string { return errorClassNames[c] }

// Histogram range: 1 µs to 1 h at 3 significant digits, values in µs.
const (
	histMin    = 1
	histMax    = 3600 * 1000 * 1000
	histDigits = 3
)

// NewHistogram is an empty histogram of the generator's range and precision.
func NewHistogram() *hdrhistogram.Histogram { return newHistogram() }

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMin, histMax, histDigits)
}

// worker is what wrk calls a thread: a group of connections with its own
// histograms and counters. Its connections record under its mutex, which is
// shared by few goroutines and held for a few nanoseconds.
type worker struct {
	mu          sync.Mutex
	corrected   *hdrhistogram.Histogram // µs since the intended send time
	uncorrected *hdrhistogram.Histogram // µs since the actual send time
	sendLag     *hdrhistogram.Histogram // µs the generator held requests back (health.go)
	requests    int64                   // responses in the measured window
	bytes       int64
	errors      [numErrorClasses]int64
	inFlight    int64 // requests of the window unanswered when it closed
	responses   int64 // all responses, warm-up included (progress line)
	allErrors   int64 // all errors, warm-up included, timeouts as they happen

	lastRequests int64     // monitor only: requests at the last rate sample
	rates        []float64 // monitor only: req/s samples, as wrk's per-thread Req/Sec
}

func newWorker() *worker {
	return &worker{corrected: newHistogram(), uncorrected: newHistogram(), sendLag: newHistogram()}
}

// record one response. Latencies are in ns; measured says whether its
// request was sent in the measured window, late whether it took the timeout
// or longer (then it is also a timeout of the window).
func (w *worker) record(corrected, uncorrected, bytes int64, status int, measured, late bool) {
	c, u := toMicros(corrected), toMicros(uncorrected)
	w.mu.Lock()
	w.responses++
	if measured {
		w.requests++
		w.bytes += bytes
		_ = w.corrected.RecordValue(c)
		_ = w.uncorrected.RecordValue(u)
		if status < 200 || status > 399 {
			w.errors[ErrStatus]++
		}
		if late {
			w.errors[ErrTimeout]++
		}
	}
	w.mu.Unlock()
}

// fail counts an error: in the live count always, in the window's when
// measured. A live timeout (the monitor's) is never measured here: the
// window counts it when its request ends (record, inFlightAtEnd).
func (w *worker) fail(class ErrorClass, measured bool) {
	w.mu.Lock()
	w.allErrors++
	if measured {
		w.errors[class]++
	}
	w.mu.Unlock()
}

// inFlightAtEnd counts a request of the window still unanswered when it
// closed; late: outstanding for the timeout or longer by then.
func (w *worker) inFlightAtEnd(late bool) {
	w.mu.Lock()
	w.inFlight++
	if late {
		w.errors[ErrTimeout]++
	}
	w.mu.Unlock()
}

// micros rounds ns to the nearest µs.
func micros(ns int64) int64 { return (ns + 500) / 1000 }

// toMicros rounds to the nearest µs and clamps to the histogram's range.
func toMicros(ns int64) int64 {
	us := micros(ns)
	if us < histMin {
		return histMin
	}
	if us > histMax {
		return histMax
	}
	return us
}
