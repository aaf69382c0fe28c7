package accounting

import (
	"reflect"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// gen is a generator's counts: responses (status of them non-2xx), in
// flight at the end, and socket errors.
func gen(responses, status, inFlight, connect, read int64) *runresult.Generator {
	g := &runresult.Generator{Requests: responses, InFlightAtEnd: inFlight}
	g.Errors.Status, g.Errors.Connect, g.Errors.Read = status, connect, read
	return g
}

func ptr(n int64) *int64 { return &n }

// verdicts is Reconcile's checks as name → OK.
func verdicts(checks []report.Check) map[string]bool {
	m := map[string]bool{}
	for _, c := range checks {
		m[c.Name] = c.OK
	}
	return m
}

// The check names, as the report prints them.
const (
	sawAll    = "server saw every response"
	noMore    = "server answered no more than was sent"
	twoxx     = "server 2xx ≥ client successes"
	poolKept  = "pool kept its connections"
	noDB      = "no database work"
	reachedDB = "every success reached the database"
	perQuery  = "one query per 2xx response"
	perConn   = "one connection per request"
	reused    = "pooled connections reused"
)

// Every check of Reconcile, passing and failing, on evidence written by
// hand: which checks apply (the app's counters, the pool's, PostgreSQL's)
// and each one's verdict at and beyond its bound.
func TestReconcileChecks(t *testing.T) {
	app := func(codes ...any) map[string]int64 {
		m := map[string]int64{}
		for i := 0; i < len(codes); i += 2 {
			m[codes[i].(string)] = int64(codes[i+1].(int))
		}
		return m
	}
	db := func(calls, sessions int64) *report.DB { return &report.DB{AgentsQueryCalls: calls, Sessions: sessions} }
	// 100 responses, all 2xx: 100 attempts, all reached the app.
	clean := gen(100, 0, 0, 0, 0)
	for _, tc := range []struct {
		name     string
		endpoint string
		g        *runresult.Generator
		srv      report.Server
		pool     int64
		want     map[string]bool
	}{
		{"/agents, all agree", "/agents", clean, report.Server{AppRequests: app("200", 100), DB: db(100, 100)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: true, reachedDB: true, perQuery: true, perConn: true}},
		// The app's bounds: at least the responses received, at most
		// what reached it (attempts but connect errors).
		{"app counted one response fewer than received", "/index", clean, report.Server{AppRequests: app("200", 99)}, 0,
			map[string]bool{sawAll: false, noMore: true, twoxx: false}},
		{"app counted one more than reached it", "/index", gen(100, 0, 4, 50, 1), report.Server{AppRequests: app("200", 106)}, 0,
			map[string]bool{sawAll: true, noMore: false, twoxx: true}},
		{"app counted every request that reached it", "/index", gen(100, 0, 4, 50, 1), report.Server{AppRequests: app("200", 105)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: true}},
		// A 300 is a success to the generator, not a 2xx to the app.
		{"3xx are not 2xx", "/index", clean, report.Server{AppRequests: app("200", 90, "300", 10)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: false}},
		{"503s the generator saw as non-2xx", "/index", gen(100, 10, 0, 0, 0), report.Server{AppRequests: app("200", 90, "503", 10)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: true}},
		// PostgreSQL's checks.
		{"/index with a query", "/index", clean, report.Server{AppRequests: app("200", 100), DB: db(1, 0)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: true, noDB: false}},
		{"/index without", "/index", clean, report.Server{DB: db(0, 0)}, 0, map[string]bool{noDB: true}},
		{"a success without its query", "/agents", clean, report.Server{AppRequests: app("200", 100), DB: db(99, 99)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: true, reachedDB: false, perQuery: false, perConn: true}},
		{"more queries than responses", "/agents", clean, report.Server{AppRequests: app("200", 100), DB: db(101, 101)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: true, reachedDB: true, perQuery: false, perConn: true}},
		// Timeouts, 503s, a read error and requests in flight: 103
		// attempts; the app answered 102, 97 of them 200; 98 queries ran
		// (one whose request timed out), in 100 sessions.
		{"overload, reconciled", "/agents", gen(100, 5, 2, 0, 1), report.Server{AppRequests: app("200", 97, "503", 5), DB: db(98, 100)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: true, reachedDB: true, perQuery: true, perConn: true}},
		{"fewer sessions than queries", "/agents", clean, report.Server{AppRequests: app("200", 100), DB: db(100, 99)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: true, reachedDB: true, perQuery: true, perConn: false}},
		{"three sessions of others", "/agents", clean, report.Server{AppRequests: app("200", 100), DB: db(100, 103)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: true, reachedDB: true, perQuery: true, perConn: true}},
		{"four sessions beyond the requests", "/agents", clean, report.Server{AppRequests: app("200", 100), DB: db(100, 104)}, 0,
			map[string]bool{sawAll: true, noMore: true, twoxx: true, reachedDB: true, perQuery: true, perConn: false}},
		// The original: no app counters; the sessions' bound is what
		// reached it (105 attempts, 3 connect errors: 102) and 3.
		{"original /agents, at the bound", "/agents", gen(100, 0, 2, 3, 0), report.Server{DB: db(100, 105)}, 0,
			map[string]bool{reachedDB: true, perConn: true}},
		{"original /agents, beyond it", "/agents", gen(100, 0, 2, 3, 0), report.Server{DB: db(100, 106)}, 0,
			map[string]bool{reachedDB: true, perConn: false}},
		// The pool: PostgreSQL's sessions within its size and 3.
		{"pool of 16 in 19 sessions", "/agents_with_pool", clean, report.Server{AppRequests: app("200", 100), DB: db(100, 19)}, 16,
			map[string]bool{sawAll: true, noMore: true, twoxx: true, reachedDB: true, perQuery: true, reused: true}},
		{"pool of 16 in 20 sessions", "/agents_with_pool", clean, report.Server{AppRequests: app("200", 100), DB: db(100, 20)}, 16,
			map[string]bool{sawAll: true, noMore: true, twoxx: true, reachedDB: true, perQuery: true, reused: false}},
		{"pool size unknown: no pool check", "/agents_with_pool", clean, report.Server{DB: db(100, 500),
			AppPoolConnectionsOpened: ptr(40), AppPoolOpenedSinceStart: ptr(40)}, 0, map[string]bool{reachedDB: true}},
		// The pool's own count from the bench's start: at most its size,
		// whatever one run opened.
		{"pool opened its size since the start", "/agents_with_pool", clean, report.Server{AppRequests: app("200", 100),
			AppPoolConnectionsOpened: ptr(0), AppPoolOpenedSinceStart: ptr(16)}, 16, map[string]bool{sawAll: true, noMore: true, twoxx: true, poolKept: true}},
		{"pool opened one more since the start", "/agents_with_pool", clean, report.Server{AppRequests: app("200", 100),
			AppPoolConnectionsOpened: ptr(3), AppPoolOpenedSinceStart: ptr(17)}, 16, map[string]bool{sawAll: true, noMore: true, twoxx: true, poolKept: false}},
		{"pool count not read", "/agents_with_pool", clean, report.Server{AppRequests: app("200", 100), AppPoolOpenedSinceStart: ptr(40)}, 16,
			map[string]bool{sawAll: true, noMore: true, twoxx: true}},
		{"/agents does not check a pool", "/agents", clean, report.Server{AppPoolConnectionsOpened: ptr(40), AppPoolOpenedSinceStart: ptr(40)}, 16,
			map[string]bool{}},
		{"no evidence, no checks", "/agents", clean, report.Server{}, 16, map[string]bool{}},
	} {
		got := verdicts(Reconcile(tc.endpoint, tc.g, &tc.srv, tc.pool))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: checks %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

// A failing check says what each side counted.
func TestReconcileDetails(t *testing.T) {
	srv := &report.Server{AppRequests: map[string]int64{"200": 97, "503": 5}, DB: &report.DB{AgentsQueryCalls: 98, Sessions: 97},
		AppPoolConnectionsOpened: ptr(2), AppPoolOpenedSinceStart: ptr(17)}
	var details []string
	for _, c := range Reconcile("/agents", gen(100, 5, 2, 0, 1), srv, 16) {
		details = append(details, c.Name+": "+c.Detail)
	}
	for _, c := range Reconcile("/agents_with_pool", gen(100, 5, 2, 0, 1), srv, 16) {
		if c.Name == poolKept || c.Name == reused {
			details = append(details, c.Name+": "+c.Detail)
		}
	}
	want := []string{
		sawAll + ": app counted 102 responses, the generator received 100",
		noMore + ": app counted 102 responses; the generator sent 103 that reached it (100 responses, 2 in flight at the end, 1 read and 0 write errors)",
		twoxx + ": app 2xx 97, generator 2xx/3xx 95",
		reachedDB + ": agents query calls 98, generator successes 95",
		perQuery + ": app 2xx 97 ≤ agents query calls 98 ≤ app responses 102",
		perConn + ": connections opened 97, agents query calls 98, requests 102",
		poolKept + ": the app's pool opened 2 connections in this run and 17 since the bench began, with a pool of 16",
		reused + ": connections opened 97 with a pool of 16, for 98 queries",
	}
	if got := strings.Join(details, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("details:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
