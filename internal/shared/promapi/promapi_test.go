package promapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A stand-in Prometheus answering the API's JSON.
func fake(t *testing.T, answers map[string]string) *Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		key := r.URL.Path
		if q := r.Form.Get("query"); q != "" {
			key += " " + q
		}
		a, ok := answers[key]
		if !ok {
			http.Error(w, `{"status":"error","errorType":"bad_data","error":"unknown"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":%s}`, a)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReads(t *testing.T) {
	c := fake(t, map[string]string{
		"/api/v1/targets":               `{"activeTargets":[{"scrapePool":"app","scrapeUrl":"http://app:8000/metrics","health":"up","labels":{"job":"app"}}],"droppedTargets":[]}`,
		"/api/v1/query one":             `{"resultType":"vector","result":[{"metric":{},"value":[1,"2.5"]}]}`,
		"/api/v1/query two":             `{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}`,
		"/api/v1/query nan":             `{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}`,
		"/api/v1/query_range r":         `{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"2"]]}]}`,
		"/api/v1/label/__name__/values": `["up","app_http_requests_total"]`,
		"/api/v1/query s[1001ms]":       `{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"1"],[2,"3"]]}]}`,
	})
	ctx := context.Background()
	ts, err := c.ActiveTargets(ctx)
	if err != nil || len(ts) != 1 || ts[0].ScrapePool != "app" || ts[0].Health != "up" {
		t.Errorf("targets %+v %v", ts, err)
	}
	if f, err := c.Scalar(ctx, "one", time.Now()); err != nil || f != 2.5 {
		t.Errorf("scalar %v %v", f, err)
	}
	if _, err := c.Scalar(ctx, "two", time.Now()); err == nil || !strings.Contains(err.Error(), "no single float sample") {
		t.Errorf("two samples: %v", err)
	}
	if _, err := c.Scalar(ctx, "nan", time.Now()); err == nil {
		t.Error("NaN: want an error")
	}
	if vec, err := c.Vector(ctx, "two", time.Now()); err != nil || len(vec) != 2 {
		t.Errorf("vector %v %v", vec, err)
	}
	if m, err := c.Range(ctx, "r", time.Now().Add(-time.Minute), time.Now(), time.Second); err != nil || len(m) != 1 || len(m[0].Values) != 2 {
		t.Errorf("range %v %v", m, err)
	}
	t0 := time.Unix(1, 0)
	if m, err := c.Samples(ctx, "s", t0, t0.Add(time.Second)); err != nil || len(m) != 1 || len(m[0].Values) != 2 || m[0].Values[1].Value != 3 {
		t.Errorf("samples %v %v", m, err)
	}
	if _, err := c.Samples(ctx, "one", t0, t0); err == nil {
		t.Error("samples of no matrix: want an error")
	}
	if vs, err := c.LabelValues(ctx, "__name__"); err != nil || strings.Join(vs, ",") != "up,app_http_requests_total" {
		t.Errorf("label values %v %v", vs, err)
	}
	if _, err := c.Vector(ctx, "unknown", time.Now()); err == nil {
		t.Error("an error answer: want an error")
	}
}
