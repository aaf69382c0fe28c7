package agents

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy is a TCP relay between the app's connections and a real PostgreSQL,
// able to end them the ways a network does: a clean close (FIN), a reset
// (RST), or a reset just after a query was relayed and answered (the query
// ran; the app never hears).
type proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	conns    []*proxied
	accepted int
}

type proxied struct {
	client, server *net.TCPConn
	trap           atomic.Bool // cut after relaying the next query and its answer
	cutOnReply     atomic.Bool
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() {
		ln.Close()
		p.closeAll(false)
	})
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		pc := &proxied{client: c.(*net.TCPConn), server: s.(*net.TCPConn)}
		p.mu.Lock()
		p.conns = append(p.conns, pc)
		p.accepted++
		p.mu.Unlock()
		go pc.clientToServer()
		go pc.serverToClient()
	}
}

func (pc *proxied) clientToServer() {
	buf := make([]byte, 32<<10)
	for {
		n, err := pc.client.Read(buf)
		if n > 0 {
			if pc.trap.Load() {
				pc.cutOnReply.Store(true)
			}
			if _, werr := pc.server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			pc.server.CloseWrite()
			return
		}
	}
}

func (pc *proxied) serverToClient() {
	buf := make([]byte, 32<<10)
	for {
		n, err := pc.server.Read(buf)
		if n > 0 && pc.cutOnReply.Load() {
			pc.reset()
			return
		}
		if n > 0 {
			if _, werr := pc.client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err == io.EOF {
				pc.client.CloseWrite()
			}
			return
		}
	}
}

// reset ends the app's side with an RST and closes PostgreSQL's side.
func (pc *proxied) reset() {
	pc.client.SetLinger(0)
	pc.client.Close()
	pc.server.Close()
}

// closeAll ends every relayed connection: cleanly (FIN) or with a reset.
func (p *proxy) closeAll(reset bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pc := range p.conns {
		if reset {
			pc.reset()
		} else {
			pc.client.Close()
			pc.server.Close()
		}
	}
	p.conns = nil
}

// trapAll makes each open connection relay the next query, wait for its
// answer and then reset the app's side.
func (p *proxy) trapAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pc := range p.conns {
		pc.trap.Store(true)
	}
}

func (p *proxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}
