package swarm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// stackSecrets are swarm.yaml's secrets and the variables (.env, the
// shell) whose values they hold; required ones must be set.
var stackSecrets = []struct {
	name, from string
	required   bool
}{
	{"app_password", "POSTGRES_APP_PASSWORD", true},
	{"exporter_password", "POSTGRES_EXPORTER_PASSWORD", true},
	{"bench_password", "POSTGRES_BENCH_PASSWORD", true},
	// Unset: a random password nobody knows (Grafana has no admin anyone
	// can log in as), kept across deploys until the stack goes.
	{"grafana_admin_password", "GRAFANA_ADMIN_PASSWORD", false},
}

// secretLabel marks the secrets Deploy made, with their name in swarm.yaml.
const secretLabel = "macrobench.secret"

// secretVar is the variable swarm.yaml takes a secret's Swarm name from.
func secretVar(name string) string { return "SWARM_SECRET_" + strings.ToUpper(name) }

// secretName is the Swarm name of a secret holding value: named by a digest
// of its content, since a Swarm secret cannot change (a changed password
// is a new secret, and the services using it are updated). The name is
// visible only to those who hold the manager's API, who can read the
// secret itself by running a task with it.
func (s *Stack) secretName(name, value string) string {
	sum := sha256.Sum256([]byte(value))
	return s.Name + "_" + name + "_" + hex.EncodeToString(sum[:6])
}

// ensureSecrets creates the stack's secrets from env's values (those that
// do not exist yet) and returns the variables naming them.
func (s *Stack) ensureSecrets(ctx context.Context, env map[string]string) (map[string]string, error) {
	out, err := s.Docker.Run(ctx, "secret", "ls", "--filter", "label="+Label+"="+s.Name, "--format", "{{.Name}}")
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, n := range strings.Fields(out) {
		have[n] = true
	}
	vars := map[string]string{}
	for _, sec := range stackSecrets {
		value := env[sec.from]
		var name string
		switch {
		case value != "":
			name = s.secretName(sec.name, value)
		case sec.required:
			return nil, fmt.Errorf("%s is not set (.env or the environment): the stack's %s secret", sec.from, sec.name)
		default:
			name = s.Name + "_" + sec.name + "_random"
			if !have[name] {
				b := make([]byte, 24)
				rand.Read(b)
				value = hex.EncodeToString(b)
			}
		}
		if !have[name] {
			if err := s.CreateSecret(ctx, name, value, secretLabel+"="+sec.name); err != nil {
				return nil, err
			}
			s.logf("secret %s created (%s)", name, sec.from)
		}
		vars[secretVar(sec.name)] = name
	}
	return vars, nil
}

// pruneSecrets removes the stack's secrets that keep is not using any more
// (an old password's); one still in use stays until a later deploy.
func (s *Stack) pruneSecrets(ctx context.Context, keep map[string]string) {
	out, err := s.Docker.Run(ctx, "secret", "ls", "--filter", "label="+secretLabel, "--filter", "label="+Label+"="+s.Name, "--format", "{{.Name}}")
	if err != nil {
		return
	}
	used := map[string]bool{}
	for _, n := range keep {
		used[n] = true
	}
	for _, n := range strings.Fields(out) {
		if !used[n] {
			s.Docker.Run(ctx, "secret", "rm", n)
		}
	}
}

// swarm.yaml's networks: the stack's services join the one SWARM_OVERLAY
// names.
const (
	OverlayEncrypted = "encrypted" // IPsec between nodes: every node's kernel needs ESP
	OverlayPlain     = "plain"
)

// Overlay is the network SWARM_OVERLAY in env chooses: encrypted unless
// it says plain; any other value is an error.
func Overlay(env []string) (string, error) {
	v := ""
	for _, kv := range env {
		if x, ok := strings.CutPrefix(kv, "SWARM_OVERLAY="); ok {
			v = x
		}
	}
	switch v {
	case "", OverlayEncrypted:
		return OverlayEncrypted, nil
	case OverlayPlain:
		return OverlayPlain, nil
	}
	return "", fmt.Errorf("SWARM_OVERLAY=%q: want %s (the default) or %s", v, OverlayEncrypted, OverlayPlain)
}

// gatewayNodeVar is the node the gateway runs on: Deploy sets it to the
// engine the docker CLI talks to.
const gatewayNodeVar = "SWARM_GATEWAY_NODE"

// DeployVars are the variables swarm.yaml reads that Deploy sets itself
// (the gateway's node, the secrets' names): no one else sets them.
func DeployVars() []string {
	vs := []string{gatewayNodeVar}
	for _, sec := range stackSecrets {
		vs = append(vs, secretVar(sec.name))
	}
	return vs
}
