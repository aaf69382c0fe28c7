// Package wire writes the one request a load generator repeats and reads
// HTTP/1.1 responses to it with as little work as possible: the request is
// built once, and a response is parsed straight out of a bufio.Reader (status
// line, Content-Length, chunked bodies, Connection: close) without allocating.
// It is deliberately not a general HTTP client.
package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Target is a parsed http(s) URL ready to be dialled and requested.
type Target struct {
	URL     *url.URL
	TLS     bool
	Host    string // host name as given (for the Host header and TLS SNI)
	Addr    string // host:port to dial
	Path    string // request-target: path and query
	Request []byte // the complete request, sent as is on every request
}

// NewTarget validates rawURL and builds the request bytes. headers are
// "Name: value" lines as given to -H; a Host header replaces the default one.
func NewTarget(rawURL string, headers []string) (*Target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %v", rawURL, err)
	}
	t := &Target{URL: u}
	switch u.Scheme {
	case "http":
	case "https":
		t.TLS = true
	case "":
		return nil, fmt.Errorf("invalid URL %q: missing scheme (http:// or https://)", rawURL)
	default:
		return nil, fmt.Errorf("invalid URL %q: unsupported scheme %q (want http or https)", rawURL, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("invalid URL %q: missing host", rawURL)
	}
	t.Host = u.Hostname()
	port := u.Port()
	if port == "" {
		port = "80"
		if t.TLS {
			port = "443"
		}
	}
	t.Addr = joinHostPort(t.Host, port)
	t.Path = u.RequestURI()

	hostHeader := u.Host
	var extra strings.Builder
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
			return nil, fmt.Errorf("invalid header %q: want \"Name: value\"", h)
		}
		value = strings.TrimSpace(value)
		if strings.EqualFold(name, "Host") {
			hostHeader = value
			continue
		}
		extra.WriteString(name + ": " + value + "\r\n")
	}
	t.Request = []byte("GET " + t.Path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n" + extra.String() + "\r\n")
	return t, nil
}

func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// Response is what the generator needs from one response.
type Response struct {
	Status int
	Bytes  int64 // bytes of the whole response, head and body
	Close  bool  // the server will close the connection after it
}

// ErrMalformed reports a response that is not HTTP/1.x.
var ErrMalformed = errors.New("malformed HTTP response")

// ReadResponse reads one complete response from br into r. Interim 1xx
// responses are consumed and counted. Any error means the connection is no
// longer usable.
func ReadResponse(br *bufio.Reader, r *Response) error {
	r.Bytes = 0
	for {
		if err := readHead(br, r); err != nil {
			return err
		}
		if r.Status >= 200 || r.Status == 101 {
			return nil
		}
	}
}

// readHead reads a status line, headers and the body that follows them.
func readHead(br *bufio.Reader, r *Response) error {
	line, err := readLine(br, r)
	if err != nil {
		return err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' {
		return ErrMalformed
	}
	http10 := line[7] == '0'
	s0, s1, s2 := line[9]-'0', line[10]-'0', line[11]-'0'
	if s0 > 9 || s1 > 9 || s2 > 9 || (len(line) > 12 && line[12] != ' ' && line[12] != '\r' && line[12] != '\n') {
		return ErrMalformed
	}
	r.Status = int(s0)*100 + int(s1)*10 + int(s2)
	r.Close = http10
	contentLength := int64(-1)
	chunked := false
	for {
		line, err = readLine(br, r)
		if err != nil {
			return err
		}
		line = trimCRLF(line)
		if len(line) == 0 {
			break
		}
		colon := indexByte(line, ':')
		if colon <= 0 {
			return ErrMalformed
		}
		name, value := line[:colon], trimSpace(line[colon+1:])
		switch {
		case equalFold(name, "content-length"):
			n, ok := parseDecimal(value)
			if !ok {
				return ErrMalformed
			}
			contentLength = n
		case equalFold(name, "transfer-encoding"):
			chunked = hasToken(value, "chunked")
		case equalFold(name, "connection"):
			if hasToken(value, "close") {
				r.Close = true
			} else if http10 && hasToken(value, "keep-alive") {
				r.Close = false
			}
		}
	}
	// (Conditions in if statements rather than switch cases, here and in
	// parseHex: Go's coverage profile, which mutation testing reads, counts
	// no statement on a case line.)
	if r.Status < 200 || r.Status == 204 || r.Status == 304 {
		return nil // no body, whatever the headers say
	}
	if chunked {
		return readChunked(br, r)
	}
	if contentLength >= 0 {
		return discard(br, r, contentLength)
	}
	// Delimited by the end of the connection.
	r.Close = true
	for {
		n, err := br.Discard(br.Size())
		r.Bytes += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func readChunked(br *bufio.Reader, r *Response) error {
	for {
		line, err := readLine(br, r)
		if err != nil {
			return err
		}
		size, ok := parseHex(trimSpace(chunkSize(line)))
		if !ok {
			return ErrMalformed
		}
		if size == 0 {
			// Trailers, then the final empty line.
			for {
				line, err = readLine(br, r)
				if err != nil {
					return err
				}
				if len(trimCRLF(line)) == 0 {
					return nil
				}
			}
		}
		if err := discard(br, r, size); err != nil {
			return err
		}
		line, err = readLine(br, r)
		if err != nil {
			return err
		}
		if len(trimCRLF(line)) != 0 {
			return ErrMalformed
		}
	}
}

func chunkSize(line []byte) []byte {
	line = trimCRLF(line)
	if i := indexByte(line, ';'); i >= 0 {
		return line[:i]
	}
	return line
}

func discard(br *bufio.Reader, r *Response, n int64) error {
	for n > 0 {
		step := n
		if step > 1<<30 {
			step = 1 << 30
		}
		d, err := br.Discard(int(step))
		r.Bytes += int64(d)
		n -= int64(d)
		if err != nil {
			return unexpectedEOF(err)
		}
	}
	return nil
}

// readLine returns the next line including its terminator. A line longer than
// the buffer is only valid as an uninteresting header: its first part is
// returned and the rest skipped.
func readLine(br *bufio.Reader, r *Response) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	r.Bytes += int64(len(line))
	if err == bufio.ErrBufferFull {
		// Keep the prefix usable: copy nothing, skip the remainder.
		for err == bufio.ErrBufferFull {
			var more []byte
			more, err = br.ReadSlice('\n')
			r.Bytes += int64(len(more))
		}
		if err != nil {
			return nil, unexpectedEOF(err)
		}
		return []byte("X-Skipped: long line\r\n"), nil
	}
	if err != nil {
		return nil, unexpectedEOF(err)
	}
	return line, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func trimCRLF(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// equalFold compares b with the lower-case ASCII string s.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list v holds token (lower case).
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		i := indexByte(v, ',')
		var item []byte
		if i < 0 {
			item, v = v, nil
		} else {
			item, v = v[:i], v[i+1:]
		}
		if equalFold(trimSpace(item), token) {
			return true
		}
	}
	return false
}

func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var d byte
		if '0' <= c && c <= '9' {
			d = c - '0'
		} else if 'a' <= c && c <= 'f' {
			d = c - 'a' + 10
		} else if 'A' <= c && c <= 'F' {
			d = c - 'A' + 10
		} else {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}
