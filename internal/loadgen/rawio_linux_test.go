//go:build linux

package loadgen

import (
	"crypto/tls"
	"net"
	"testing"
)

// A plain TCP connection is read and written with raw system calls; any
// other connection (TLS) goes through net.Conn.
func TestNewRawIO(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1)) // until the client closes
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if newRawIO(nc) == nil {
		t.Error("a TCP connection: no raw I/O")
	}
	if newRawIO(tls.Client(nc, &tls.Config{InsecureSkipVerify: true})) != nil {
		t.Error("a TLS connection: raw I/O, which would bypass TLS")
	}
}
