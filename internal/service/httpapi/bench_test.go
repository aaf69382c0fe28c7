package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkIndex is the app's per-request overhead on /index (Echo, metrics,
// handler) without the network; compare with BenchmarkBareIndex.
func BenchmarkIndex(b *testing.B) {
	e := New(Deps{RequestTimeout: time.Second, Registry: prometheus.NewRegistry()})
	req := httptest.NewRequest("GET", "/index", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		e.ServeHTTP(w, req)
	}
}

// bareIndex is the reference: a plain handler JSON-encoding the same object.
var bareIndex = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, _ := json.Marshal(hello{Hello: "world"})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
})

func BenchmarkBareIndex(b *testing.B) {
	h := bareIndex
	req := httptest.NewRequest("GET", "/index", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

func BenchmarkIndexParallel(b *testing.B) {
	e := New(Deps{RequestTimeout: time.Second, Registry: prometheus.NewRegistry()})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", "/index", nil)
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			e.ServeHTTP(w, req)
		}
	})
}

func BenchmarkBareIndexParallel(b *testing.B) {
	h := bareIndex
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", "/index", nil)
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
	})
}
