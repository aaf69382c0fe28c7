package stackcheck

import (
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// NoNewPrivileges is the security_opt every service sets: no setuid binary
// or file capability raises a process's privileges.
const NoNewPrivileges = "no-new-privileges:true"

// CapsNeeded are the Linux capabilities a service may add back after
// cap_drop: [ALL], by service. None needs any: the PostgreSQL image's
// entrypoint would want CHOWN, DAC_OVERRIDE, FOWNER, SETGID and SETUID as
// root, but compose.yaml starts it as the postgres user.
var CapsNeeded = map[string][]string{}

// checkConfinement: every service drops all capabilities (adding back only
// CapsNeeded), sets no-new-privileges, has a read-only root file system and
// memory and process limits.
func checkConfinement(s types.ServiceConfig, bad func(service, field, format string, args ...any)) {
	if !slices.Contains(s.SecurityOpt, NoNewPrivileges) {
		bad(s.Name, "security_opt", "%q: want %s", s.SecurityOpt, NoNewPrivileges)
	}
	if !slices.ContainsFunc(s.CapDrop, func(c string) bool { return strings.EqualFold(c, "ALL") }) {
		bad(s.Name, "cap_drop", "%q: want [ALL]", s.CapDrop)
	}
	for _, c := range s.CapAdd {
		if !slices.Contains(CapsNeeded[s.Name], strings.TrimPrefix(strings.ToUpper(c), "CAP_")) {
			bad(s.Name, "cap_add", "%s is not a capability it needs (stackcheck.CapsNeeded: %q)", c, CapsNeeded[s.Name])
		}
	}
	if !s.ReadOnly {
		bad(s.Name, "read_only", "the root file system is writable: want true (tmpfs or volumes where it writes)")
	}
	if s.MemLimit <= 0 {
		bad(s.Name, "mem_limit", "no memory limit")
	}
	if s.PidsLimit <= 0 {
		bad(s.Name, "pids_limit", "no process limit")
	}
}
