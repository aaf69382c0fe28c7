package onewrite

import (
	"io"
	"net"
	"testing"
	"time"
)

// BenchmarkResponseWrite is what a write deadline adds to one small
// response on a real loopback connection (a reader drains the other end):
//
//   - none: no deadline (what the app had before APP_WRITE_TIMEOUT);
//   - rolling: Conn's rolling deadline (the app);
//   - per-response: net/http's WriteTimeout, a deadline armed before each
//     response and cleared after it.
//
// Each iteration is one response: the write, then net/http's clearing of the
// deadline.
func BenchmarkResponseWrite(b *testing.B) {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Mon, 02 Jan 2006 15:04:05 GMT\r\nContent-Length: 17\r\n\r\n{\"hello\":\"world\"}")
	for _, v := range []struct {
		name        string
		timeout     time.Duration
		perResponse bool
	}{{"none", 0, false}, {"rolling", 5 * time.Second, false}, {"per-response", 0, true}} {
		b.Run(v.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			client, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer client.Close()
			go io.Copy(io.Discard, client)
			sc, err := Listener{Listener: ln, WriteTimeout: v.timeout}.Accept()
			if err != nil {
				b.Fatal(err)
			}
			defer sc.Close()
			c := sc.(*Conn)
			b.ReportAllocs()
			for b.Loop() {
				if v.perResponse {
					c.SetWriteDeadline(time.Now().Add(5 * time.Second))
				}
				if _, err := c.Write(resp); err != nil {
					b.Fatal(err)
				}
				c.SetWriteDeadline(time.Time{})
			}
		})
	}
}
