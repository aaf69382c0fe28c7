package swarm

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/shared/proc"
)

// URLs are the app's and Prometheus's base URLs on this machine, through
// the tunnel (Reach).
func (s *Stack) URLs(ctx context.Context) (app, prom string, err error) {
	if app, err = s.Reach(ctx, AppService, 8000); err != nil {
		return "", "", err
	}
	if prom, err = s.Reach(ctx, "prometheus", 9090); err != nil {
		return "", "", err
	}
	return app, prom, nil
}

// Reach is a base URL (http://127.0.0.1:PORT) on this machine for port of
// service on the stack's network, through a Tunnel into the gateway's
// container on the engine the docker CLI talks to. The tunnel lives as
// long as the ctx of its first use; one local port per service and port.
func (s *Stack) Reach(ctx context.Context, service string, port int) (string, error) {
	return s.Forward(ctx, "127.0.0.1:0", net.JoinHostPort(service, strconv.Itoa(port)))
}

// Forward is Reach listening on local (host:port) for target (host:port
// on the stack's network): `bench swarm forward`.
func (s *Stack) Forward(ctx context.Context, local, target string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tunnel == nil || s.tunnel.ctx.Err() != nil {
		out, err := s.Docker.Run(ctx, "ps", "-q", "--filter", "label=com.docker.swarm.service.name="+s.Service(GatewayService), "--filter", "status=running")
		if err != nil {
			return "", err
		}
		ids := strings.Fields(out)
		if len(ids) == 0 {
			return "", fmt.Errorf("%s has no running container on the engine the docker CLI talks to (it is placed on the node that deployed the stack): deploy it from here (scripts/swarm.sh up)", s.Service(GatewayService))
		}
		s.tunnel, s.reached = NewTunnel(ctx, s.Docker, ids[0], s.Log), map[string]string{}
	}
	if u, ok := s.reached[target]; ok {
		return u, nil
	}
	addr, err := s.tunnel.Forward(local, target)
	if err != nil {
		return "", err
	}
	s.reached[target] = "http://" + addr
	return s.reached[target], nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Up deploys the lab (no generator job) and waits until every service is
// ready and the app answers /readyz through the tunnel.
func (s *Stack) Up(ctx context.Context, timeout time.Duration) error {
	err := s.up(ctx, timeout)
	if err != nil && s.Network() == s.Name+"_"+OverlayEncrypted {
		err = fmt.Errorf("%v (on the encrypted overlay: it carries nothing between nodes whose kernel lacks IPsec ESP, CONFIG_INET_ESP; SWARM_OVERLAY=plain runs without it, docs/swarm.md)", err)
	}
	return err
}

func (s *Stack) up(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if err := s.Deploy(ctx, nil); err != nil {
		return err
	}
	if err := s.WaitReady(ctx, time.Until(deadline)); err != nil {
		return err
	}
	app, _, err := s.URLs(ctx)
	if err != nil {
		return err
	}
	return proc.WaitHTTPOK(ctx, app+"/readyz", max(time.Until(deadline), time.Second))
}
