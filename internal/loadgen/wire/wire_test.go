package wire

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNewTarget(t *testing.T) {
	tg, err := NewTarget("http://example.com:8080/a/b?x=1", []string{"Accept: application/json", "host: other"})
	if err != nil {
		t.Fatal(err)
	}
	if tg.Addr != "example.com:8080" || tg.Path != "/a/b?x=1" || tg.TLS {
		t.Fatalf("target = %+v", tg)
	}
	want := "GET /a/b?x=1 HTTP/1.1\r\nHost: other\r\nAccept: application/json\r\n\r\n"
	if string(tg.Request) != want {
		t.Fatalf("request = %q, want %q", tg.Request, want)
	}
	tg, err = NewTarget("https://[::1]", nil)
	if err != nil || tg.Addr != "[::1]:443" || tg.Path != "/" || !tg.TLS {
		t.Fatalf("target = %+v, %v", tg, err)
	}
	for _, bad := range []string{"", "example.com/x", "ftp://x/", "http:///x", "http://a b/", "://x"} {
		if _, err := NewTarget(bad, nil); err == nil {
			t.Errorf("NewTarget(%q) accepted", bad)
		}
	}
	tg, err = NewTarget("http://[::1]:8080", []string{" X-A :  b c "})
	if err != nil || tg.Addr != "[::1]:8080" || string(tg.Request) != "GET / HTTP/1.1\r\nHost: [::1]:8080\r\nX-A: b c\r\n\r\n" {
		t.Fatalf("target = %+v, %v", tg, err)
	}
	tg, err = NewTarget("http://example.com", nil)
	if err != nil || tg.Addr != "example.com:80" || tg.Host != "example.com" {
		t.Fatalf("target = %+v, %v", tg, err)
	}
	// A header that would break the request apart or cannot be one.
	for _, bad := range []string{"NoColon", ": v", "Two Words: v", "X-A: v\r\nInjected: w", "X-A: v\n", "X\tA: v"} {
		if _, err := NewTarget("http://x/", []string{bad}); err == nil {
			t.Errorf("header %q accepted", bad)
		}
	}
}

// read reads responses from raw through a buffer of size bytes until one
// says the connection closes or an error ends the reading.
func read(t *testing.T, raw string, size int) ([]Response, error) {
	t.Helper()
	br := bufio.NewReaderSize(strings.NewReader(raw), size)
	var out []Response
	for {
		var r Response
		err := ReadResponse(br, &r)
		if err != nil {
			return out, err
		}
		out = append(out, r)
		if r.Close {
			return out, nil
		}
	}
}

// A scenario is what a server sends on one connection: whole responses,
// one after another, then maybe a tail (a cut or malformed response) that
// ends the reading with err. Every response must come back with its own
// status and exactly its own length on the wire as Bytes: a parser that
// read a body where there is none, or stopped short of one, would take the
// next response's bytes and fail there. close is the last response's
// Close (the reading stops at the first that closes).
type scenario struct {
	name      string
	responses []string
	status    []int
	close     bool
	tail      string
	err       error
}

func (sc scenario) check(t *testing.T, size int) {
	t.Helper()
	raw := strings.Join(sc.responses, "") + sc.tail
	got, err := read(t, raw, size)
	if !errors.Is(err, sc.err) || (err == nil) != (sc.err == nil) {
		t.Fatalf("err = %v, want %v", err, sc.err)
	}
	if len(got) != len(sc.responses) {
		t.Fatalf("got %d responses %+v, want %d", len(got), got, len(sc.responses))
	}
	for i, r := range got {
		if r.Status != sc.status[i] || r.Bytes != int64(len(sc.responses[i])) {
			t.Errorf("response %d: status %d, %d bytes; want %d, %d bytes", i, r.Status, r.Bytes, sc.status[i], len(sc.responses[i]))
		}
	}
	if sc.err == nil && got[len(got)-1].Close != sc.close {
		t.Errorf("close = %v, want %v", got[len(got)-1].Close, sc.close)
	}
}

const (
	ok2   = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"                      // keep-alive
	okEnd = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok" // the last one
)

func TestReadResponse(t *testing.T) {
	long := strings.Repeat("v", 200)
	for _, sc := range []scenario{
		{name: "content-length keep-alive, then EOF where a response would start",
			responses: []string{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n"},
			status:    []int{200, 500}, err: io.ErrUnexpectedEOF},
		{name: "chunked: extension, trailer, sizes in either case",
			responses: []string{
				"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1A\r\n" + strings.Repeat("z", 26) + "\r\n0\r\nTrailer: t\r\n\r\n",
				"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\n\r\nf\r\n" + strings.Repeat("f", 15) + "\r\nF\r\n" + strings.Repeat("F", 15) + "\r\n9 \r\n123456789\r\na\r\n0123456789\r\n00000000000000a\r\n0123456789\r\n0\r\n\r\n",
				okEnd},
			status: []int{200, 200, 200}, close: true},
		// No body follows a 204 or a 304, whatever their headers announce:
		// none of these is the last, so reading one to the end of the
		// connection, or a 304's Content-Length, would eat the next.
		{name: "204 and 304 have no body",
			responses: []string{
				"HTTP/1.1 204 No Content\r\n\r\n",
				"HTTP/1.1 304 Not Modified\r\nContent-Length: 17\r\nETag: \"x\"\r\n\r\n",
				"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
				"HTTP/1.1 304 Not Modified\r\n\r\n",
				okEnd},
			status: []int{204, 304, 204, 304, 200}, close: true},
		{name: "close delimited", responses: []string{"HTTP/1.0 200 OK\r\n\r\n" + long}, status: []int{200}, close: true},
		{name: "close delimited, HTTP/1.1", responses: []string{"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n" + long}, status: []int{200}, close: true},
		{name: "http/1.0 keep-alive",
			responses: []string{"HTTP/1.0 302 Found\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
			status:    []int{302, 200}, close: true},
		{name: "keep-alive means nothing to HTTP/1.1; close is a token of a list",
			responses: []string{"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nCONNECTION:\t, keep-alive ,  Close\r\n\r\nok"},
			status:    []int{200, 200}, close: true},
		{name: "interim 100 and 103 belong to the response they precede",
			responses: []string{
				"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx",
				"HTTP/1.1 103 Early Hints\r\n\r\n" + okEnd},
			status: []int{404, 200}, close: true},
		{name: "status line without a reason, any three digits",
			responses: []string{"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 599 Network Connect Timeout\r\nContent-Length: 9\r\n\r\n123456789", "HTTP/1.1 999 X\r\nContent-Length: 0\r\n\r\n", okEnd},
			status:    []int{200, 599, 999, 200}, close: true},
		{name: "bare LF line ends, tabs and odd spacing in values",
			responses: []string{"HTTP/1.1 200 OK\nX-Empty:\nContent-Length:\t 3 \t\n\nabc", "HTTP/1.1 200\nContent-Length: 0\n\n", "HTTP/1.1 201 Created\r\nContent-Length: 000000000000000010\r\nConnection: close\r\n\r\n0123456789"},
			status:    []int{200, 200, 201}, close: true},
		{name: "long header", responses: []string{"HTTP/1.1 200 OK\r\nX-Long: " + long + "\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"}, status: []int{200}, close: true},

		{name: "body cut", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", err: io.ErrUnexpectedEOF},
		{name: "chunked body cut mid-chunk", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nhello", err: io.ErrUnexpectedEOF},
		{name: "chunked body cut after a chunk's data", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello", err: io.ErrUnexpectedEOF},
		{name: "chunked body cut before its last chunk", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", err: io.ErrUnexpectedEOF},
		{name: "chunked body cut in its trailer", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nTrailer: t\r\n", err: io.ErrUnexpectedEOF},
		{name: "chunk size not hex", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "chunk size missing", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x=y\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "chunk size of 16 hex digits", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n000000000000000a\r\n0123456789\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "chunk longer than its size", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "EOF in the status line", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 20", err: io.ErrUnexpectedEOF},
		{name: "EOF inside the headers", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nContent-Len", err: io.ErrUnexpectedEOF},
		{name: "EOF before the empty line", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", err: io.ErrUnexpectedEOF},
		{name: "garbage", tail: "SSH-2.0-OpenSSH\r\n\r\n", err: ErrMalformed},
		{name: "HTTP/2", tail: "HTTP/2.0 200 OK\r\n\r\n", err: ErrMalformed},
		{name: "no space after the version", tail: "HTTP/1.1-200 OK\r\n\r\n", err: ErrMalformed},
		{name: "status not three digits", tail: "HTTP/1.1 2x0 OK\r\n\r\n", err: ErrMalformed},
		{name: "status of four digits", tail: "HTTP/1.1 2000 OK\r\n\r\n", err: ErrMalformed},
		{name: "status line too short", tail: "HTTP/1.1 20\n\r\n", err: ErrMalformed},
		{name: "header without colon", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok", err: ErrMalformed},
		{name: "header without name", responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\n: 2\r\n\r\nok", err: ErrMalformed},
		{name: "bad length", tail: "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", err: ErrMalformed},
		{name: "negative length", tail: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", err: ErrMalformed},
		{name: "empty length", tail: "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", err: ErrMalformed},
		{name: "length of 19 digits", tail: "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000000\r\n\r\n", err: ErrMalformed},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.check(t, 64) })
	}
}

// The engine reads through a 16 KiB buffer (conn.go). A header line longer
// than that is skipped whole, and what follows it is read as usual: its
// Content-Length, the body, the next response. Cut by the end of the
// connection, it is a read error.
func TestHeaderLongerThanTheReadBuffer(t *testing.T) {
	const size = 16 << 10
	long := "X-Long: " + strings.Repeat("v", 20000) + "\r\n"
	scenario{
		responses: []string{"HTTP/1.1 200 OK\r\n" + long + "Content-Length: 5\r\n\r\nhello", "HTTP/1.1 404 Not Found\r\n" + long + long + "Connection: close\r\nContent-Length: 0\r\n\r\n"},
		status:    []int{200, 404}, close: true,
	}.check(t, size)
	scenario{responses: []string{ok2}, status: []int{200}, tail: "HTTP/1.1 200 OK\r\n" + long[:size+100], err: io.ErrUnexpectedEOF}.check(t, size)
	// A status line that long is not a status line.
	scenario{tail: "HTTP/1.1 200 " + strings.Repeat("K", size) + "\r\n\r\n", err: ErrMalformed}.check(t, size)
}

// 101 Switching Protocols is final: ReadResponse returns its head and
// leaves what follows, the other protocol's bytes, unread.
func TestSwitchingProtocolsIsFinal(t *testing.T) {
	head := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
	frame := "\x81\x05hello"
	br := bufio.NewReaderSize(strings.NewReader(head+frame), 64)
	var r Response
	if err := ReadResponse(br, &r); err != nil || r.Status != 101 || r.Bytes != int64(len(head)) {
		t.Fatalf("ReadResponse = %v, %+v; want 101 of %d bytes", err, r, len(head))
	}
	if rest, _ := io.ReadAll(br); string(rest) != frame {
		t.Errorf("left %q unread, want the frame %q", rest, frame)
	}
}

// A connection that breaks (not an EOF) in a body is that error, whether
// the body was delimited by its length or by the end of the connection.
func TestReadErrorInBody(t *testing.T) {
	reset := errors.New("connection reset by peer")
	for _, raw := range []string{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "HTTP/1.1 200 OK\r\n\r\nabc"} {
		br := bufio.NewReaderSize(io.MultiReader(strings.NewReader(raw), iotest.ErrReader(reset)), 64)
		var r Response
		if err := ReadResponse(br, &r); err != reset {
			t.Errorf("%q then a reset: err = %v, want the reset", raw, err)
		}
	}
}

// The hot path must not allocate: one response read costs no garbage.
func TestReadResponseAllocs(t *testing.T) {
	one := "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"hello\":\"world\"}"
	src := &repeatReader{s: one}
	br := bufio.NewReaderSize(src, 4096)
	var r Response
	allocs := testing.AllocsPerRun(1000, func() {
		if err := ReadResponse(br, &r); err != nil || r.Status != 200 {
			t.Fatalf("%v %+v", err, r)
		}
	})
	if allocs != 0 {
		t.Fatalf("ReadResponse allocates %.1f times per response", allocs)
	}
}

type repeatReader struct {
	s   string
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}
