package wire

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
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
	if _, err := NewTarget("http://x/", []string{"NoColon"}); err == nil {
		t.Error("header without colon accepted")
	}
}

func read(t *testing.T, raw string) ([]Response, error) {
	t.Helper()
	br := bufio.NewReaderSize(strings.NewReader(raw), 64)
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

func TestReadResponse(t *testing.T) {
	long := strings.Repeat("v", 200)
	cases := []struct {
		name   string
		raw    string
		status []int
		close  bool
		err    error
	}{
		{"content-length keep-alive", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n", []int{200, 500}, false, io.ErrUnexpectedEOF},
		{"chunked with extension and trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1A\r\n" + strings.Repeat("z", 26) + "\r\n0\r\nTrailer: t\r\n\r\nHTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", []int{200, 204}, true, nil},
		{"close delimited", "HTTP/1.0 200 OK\r\n\r\n" + long, []int{200}, true, nil},
		{"http/1.0 keep-alive", "HTTP/1.0 302 Found\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", []int{302, 200}, true, nil},
		{"interim 100 and 103", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", []int{404, 200}, true, nil},
		{"interim 100", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx", []int{200}, true, nil},
		{"long header", "HTTP/1.1 200 OK\r\nX-Long: " + long + "\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx", []int{200}, true, nil},
		{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", nil, false, io.ErrUnexpectedEOF},
		{"garbage", "SSH-2.0-OpenSSH\r\n\r\n", nil, false, ErrMalformed},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", nil, false, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := read(t, c.raw)
			if !errors.Is(err, c.err) && !(c.err == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if len(got) != len(c.status) {
				t.Fatalf("got %d responses %+v, want %d", len(got), got, len(c.status))
			}
			var total int64
			for i, r := range got {
				if r.Status != c.status[i] {
					t.Errorf("status[%d] = %d, want %d", i, r.Status, c.status[i])
				}
				total += r.Bytes
			}
			if c.err == nil && total != int64(len(c.raw)) {
				t.Errorf("bytes = %d, want %d", total, len(c.raw))
			}
			if c.err == nil && got[len(got)-1].Close != c.close {
				t.Errorf("close = %v, want %v", got[len(got)-1].Close, c.close)
			}
		})
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
