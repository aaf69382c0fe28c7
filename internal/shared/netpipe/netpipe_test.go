package netpipe

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
)

// A request written to Pipe's input reaches a real server, which sees the
// input's end as EOF, and its answer comes out whole.
func TestPipeCarriesBothWaysAndHalfCloses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c) // returns only at the client's half-close
		got <- string(b)
		c.Write([]byte("answer to " + string(b)))
	}()
	var out bytes.Buffer
	if err := Pipe(ln.Addr().String(), strings.NewReader("question"), &out); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "question" {
		t.Fatalf("the server read %q", s)
	}
	if out.String() != "answer to question" {
		t.Fatalf("out = %q", out.String())
	}
}

func TestMainRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{{"pipe"}, {"pipe", "nohostport"}, {"gateway", "x"}} {
		var stderr bytes.Buffer
		code, ok := Main(args, strings.NewReader(""), io.Discard, &stderr)
		if !ok || code != 2 || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: code %d ok %v stderr %q", args, code, ok, stderr.String())
		}
	}
	if _, ok := Main([]string{"-t1"}, nil, nil, nil); ok {
		t.Error("a generator flag taken as a tunnel command")
	}
	// A port nothing listens on: one line, exit 1.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	var stderr bytes.Buffer
	if code, _ := Main([]string{"pipe", addr}, strings.NewReader(""), io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "refused") {
		t.Errorf("closed port: code %d, %q", code, stderr.String())
	}
}
