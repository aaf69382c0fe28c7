package agents

import (
	"context"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

// BenchmarkPoolAgents measures one pooled query and its JSON body against
// the test database (allocations included: they drive the GC's share).
func BenchmarkPoolAgents(b *testing.B) {
	p := OpenPool(newConnector(b, testenv.DatabaseURL(b), 2*time.Second), 1)
	defer p.Close()
	buf := make([]byte, 0, 8<<10)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := p.Agents(ctx, buf[:0])
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}
