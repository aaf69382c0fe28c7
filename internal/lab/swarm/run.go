package swarm

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/shared/proc"
)

// URLs are the app's and Prometheus's base URLs: their published (host
// mode) ports on the nodes that run them.
func (s *Stack) URLs(ctx context.Context) (app, prom string, err error) {
	env, err := Environ(s.Repo, os.Environ(), nil)
	if err != nil {
		return "", "", err
	}
	get := func(k, def string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok && v != "" {
				return v
			}
		}
		return def
	}
	appHost, err := s.NodeAddr(ctx, AppService)
	if err != nil {
		return "", "", err
	}
	promHost, err := s.NodeAddr(ctx, "prometheus")
	if err != nil {
		return "", "", err
	}
	return "http://" + appHost + ":" + get("APP_PORT", "8000"), "http://" + promHost + ":" + get("PROMETHEUS_PORT", "9090"), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Up deploys the lab (no generator job) and waits until every service is
// ready and the app answers /readyz on its published port.
func (s *Stack) Up(ctx context.Context, timeout time.Duration) error {
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
