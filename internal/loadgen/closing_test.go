package loadgen

import (
	"testing"
	"time"
)

// These tests judge the generator against servers that close connections,
// by what the server saw (recServer: connections accepted, requests
// received, responses cut), counted once the run is over and the server has
// seen every connection close (settle), so every request the generator
// wrote is in its count. No warm-up: every request belongs to the window.

// accounted reports whether the requests that ended (answered or failed)
// and those in flight at the end are exactly the server's arrivals: none
// lost, none counted twice. A request in flight may have been cut off by the
// window's end before it was written (its write is done by the first read,
// rawio_linux.go), hence arrivals between ended and ended + in flight.
func accounted(ended, inFlight, arrived int64) bool {
	return ended <= arrived && arrived <= ended+inFlight
}

// A server that closes the connection after every response, and says so
// (Connection: close): each request goes out on a connection of its own,
// never on one the server closed, so none is a read or write error; each
// response is counted once, with its bytes.
func TestServerClosingEveryConnection(t *testing.T) {
	t.Parallel()
	const resp = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 17\r\n\r\n{\"hello\":\"world\"}"
	srv := recordingServer(t, resp, nil)
	const conns = 4
	res := mustRun(t, Config{URL: srv.URL, Threads: 2, Connections: conns, Duration: time.Second, Rate: 100})
	srv.settle(t)
	srv.mu.Lock()
	arrived, accepted, perConn := int64(len(srv.arrivals)), int64(srv.conns), srv.maxPerConn
	srv.mu.Unlock()
	t.Logf("server: %d requests on %d connections; generator: %d responses, %d in flight, errors %v", arrived, accepted, res.Requests, res.InFlight, res.Errors)
	if res.Errors != [numErrorClasses]int64{} {
		t.Errorf("errors %v, want none: a connection the server closes is not an error", res.Errors)
	}
	if res.Requests == 0 || !accounted(res.Requests, res.InFlight, arrived) {
		t.Errorf("responses %d + in flight %d, want the server's %d requests", res.Requests, res.InFlight, arrived)
	}
	if res.Bytes != res.Requests*int64(len(resp)) {
		t.Errorf("%d bytes for %d responses of %d bytes", res.Bytes, res.Requests, len(resp))
	}
	// One request per connection; a connection opened just as the window
	// closed may carry none (at most one per connection of -c).
	if perConn != 1 || accepted < arrived || accepted > arrived+conns {
		t.Errorf("the server accepted %d connections for %d requests, at most %d on one; want one each (up to %d more)", accepted, arrived, perConn, conns)
	}
}

// A server that closes the connection in the middle of every third
// response (its head and part of the body sent): each cut response is one
// read error, its bytes counted nowhere, and its request is sent again on a
// new connection. Every request the server received is exactly one of a
// response, a read error or in flight at the end: none lost, none counted
// twice.
func TestServerClosingMidBody(t *testing.T) {
	t.Parallel()
	srv := cuttingServer(t, okResponse, func(n int) bool { return n%3 == 0 })
	const conns = 2
	res := mustRun(t, Config{URL: srv.URL, Threads: 1, Connections: conns, Duration: time.Second, Rate: 60})
	srv.settle(t)
	srv.mu.Lock()
	arrived, answered, cuts, accepted := int64(len(srv.arrivals)), int64(len(srv.answers)), int64(srv.cuts), int64(srv.conns)
	srv.mu.Unlock()
	t.Logf("server: %d requests, %d answered, %d cut, %d connections; generator: %d responses, %d in flight, errors %v",
		arrived, answered, cuts, accepted, res.Requests, res.InFlight, res.Errors)
	reads := res.Errors[ErrRead]
	if !accounted(res.Requests+reads, res.InFlight, arrived) {
		t.Errorf("responses %d + read errors %d + in flight %d, want the server's %d requests", res.Requests, reads, res.InFlight, arrived)
	}
	// A cut response read before the window closed is a read error; one
	// still being read then is in flight.
	if cuts < 10 || reads > cuts || reads < cuts-res.InFlight || res.Requests > answered {
		t.Errorf("%d read errors and %d responses; the server cut %d responses and answered %d", reads, res.Requests, cuts, answered)
	}
	if other := res.Errors[ErrConnect] + res.Errors[ErrWrite] + res.Errors[ErrTimeout] + res.Errors[ErrStatus]; other != 0 {
		t.Errorf("errors %v, want read errors only", res.Errors)
	}
	if res.Bytes != res.Requests*int64(len(okResponse)) {
		t.Errorf("%d bytes for %d responses of %d bytes: a cut response's bytes counted", res.Bytes, res.Requests, len(okResponse))
	}
	// The first connections, and a new one for each read error (but for a
	// retry the window's end stopped: at most one per connection).
	if accepted > conns+reads || accepted < reads {
		t.Errorf("the server accepted %d connections: want %d, and one per read error (%d)", accepted, conns, reads)
	}
}
