package e2echeck

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/shared/agentscontract"
	"github.com/macrobench/macrobench/internal/shared/promapi"
)

// agentsBody is the first n of the seed's agents, as the app answers them.
func agentsBody(n int) string {
	return string(agentscontract.BodyOf(agentscontract.Seeded()[:n]))
}

func app(agents string, agentsCode int) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/index", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"hello":"world"}`)
	})
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(agents)))
		w.WriteHeader(agentsCode)
		fmt.Fprint(w, agents)
	}
	mux.HandleFunc("/agents", h)
	mux.HandleFunc("/agents_with_pool", h)
	return httptest.NewServer(mux)
}

func TestCheckEndpoints(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		code       int
		wantErr    string
	}{
		{"seeded", agentsBody(50), 200, ""},
		{"short", agentsBody(49), 200, "expected 50 agents, got 49"},
		{"down", `{"message":"database unavailable"}`, 503, "expected status 200, got 503"},
		{"wrong keys", "[" + strings.Repeat(`{"number":"1"},`, 49) + `{"number":"1"}]`, 200, "expected keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := app(tc.body, tc.code)
			defer srv.Close()
			err := CheckEndpoints(context.Background(), srv.URL)
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestTargetsUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"success","data":{"activeTargets":[
			{"scrapePool":"app","scrapeUrl":"http://app:8000/metrics","health":"up"},
			{"scrapePool":"prometheus","scrapeUrl":"http://localhost:9090/metrics","health":"up"},
			{"scrapePool":"postgres","scrapeUrl":"http://postgres-exporter:9187/metrics","health":"down","lastError":"connection refused"},
			{"scrapePool":"loadtest","scrapeUrl":"http://loadtest:9102/metrics","health":"down"}]}}`)
	}))
	defer srv.Close()
	prom, err := promapi.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := prom.ActiveTargets(context.Background())
	if err != nil || len(ts) != 4 {
		t.Fatalf("Targets = %v, %v", ts, err)
	}
	if err := TargetsUp(ts, []string{"app", "prometheus"}, []string{"loadtest", "postgres"}); err != nil {
		t.Errorf("with postgres ignored: %v", err)
	}
	err = TargetsUp(ts, []string{"app", "prometheus", "postgres"}, []string{"loadtest"})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("postgres down: err = %v", err)
	}
	if err := TargetsUp(ts, []string{"grafana"}, []string{"loadtest", "postgres"}); err == nil || !strings.Contains(err.Error(), "grafana: no target") {
		t.Errorf("missing job: err = %v", err)
	}
}
