package e2echeck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/swarm"
)

// stackSpec is what CheckSwarmClosed reads of `docker service inspect`
// and `docker network inspect`.
type stackSpec struct {
	Spec struct {
		Name string
	}
	Endpoint struct {
		Ports []struct {
			TargetPort, PublishedPort int
		}
	}
}

// CheckSwarmClosed checks a deployed stack from the manager's API, as
// anyone holding it would see it: no service publishes a port, none of
// passwords appears anywhere in a service's spec (environment, labels,
// arguments), and the stack's network is encrypted exactly when overlay is
// swarm.OverlayEncrypted.
func CheckSwarmClosed(ctx context.Context, st *swarm.Stack, passwords []string, overlay string) (lines []string, err error) {
	ids, err := st.Docker.Run(ctx, "service", "ls", "-q", "--filter", "label="+swarm.Label+"="+st.Name)
	if err != nil {
		return nil, err
	}
	if len(strings.Fields(ids)) == 0 {
		return nil, fmt.Errorf("stack %s has no services", st.Name)
	}
	raw, err := st.Docker.Run(ctx, append([]string{"service", "inspect"}, strings.Fields(ids)...)...)
	if err != nil {
		return nil, err
	}
	var specs []stackSpec
	if err := json.Unmarshal([]byte(raw), &specs); err != nil {
		return nil, fmt.Errorf("docker service inspect: %v", err)
	}
	var errs []error
	for _, s := range specs {
		if len(s.Endpoint.Ports) > 0 {
			errs = append(errs, fmt.Errorf("%s publishes %+v", s.Spec.Name, s.Endpoint.Ports))
		}
	}
	for _, pw := range passwords {
		if pw != "" && strings.Contains(raw, pw) {
			errs = append(errs, fmt.Errorf("a password (%d characters) is in the services' specs", len(pw)))
		}
	}
	lines = append(lines, fmt.Sprintf("%d services, none publishing a port, none of %d passwords in their specs", len(specs), len(passwords)))
	net := st.Name + "_" + overlay
	opts, err := st.Docker.Run(ctx, "network", "inspect", "--format", "{{json .Options}}", net)
	if err != nil {
		return lines, errors.Join(append(errs, err)...)
	}
	var o map[string]string
	if err := json.Unmarshal([]byte(opts), &o); err != nil {
		return lines, errors.Join(append(errs, fmt.Errorf("network %s options %q: %v", net, opts, err))...)
	}
	if _, enc := o["encrypted"]; enc != (overlay == swarm.OverlayEncrypted) {
		errs = append(errs, fmt.Errorf("network %s: encrypted %v, want %v (SWARM_OVERLAY=%s)", net, enc, !enc, overlay))
	}
	lines = append(lines, fmt.Sprintf("network %s, options %v", net, o))
	return lines, errors.Join(errs...)
}
