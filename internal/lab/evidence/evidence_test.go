package evidence

import (
	"testing"

	"github.com/macrobench/macrobench/internal/service/httpapi"
)

// The bench reads the gauge the app exports.
func TestInFlightMetricName(t *testing.T) {
	if AppInFlightMetric != httpapi.InFlightMetric {
		t.Errorf("bench reads %q, the app exports %q", AppInFlightMetric, httpapi.InFlightMetric)
	}
}
