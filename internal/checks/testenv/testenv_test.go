package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestRequiredUnderCIOrTheVariable(t *testing.T) {
	for _, c := range []struct {
		ci, require string
		want        bool
	}{
		{"", "", false},
		{"false", "0", false},
		{"true", "", true},
		{"1", "", true},
		{"", "1", true},
		{"false", "1", true},
	} {
		t.Setenv("CI", c.ci)
		t.Setenv(RequireVar, c.require)
		if got := Required(); got != c.want {
			t.Errorf("CI=%q %s=%q: Required() = %v, want %v", c.ci, RequireVar, c.require, got, c.want)
		}
	}
}

// The helper below is run in a child process: a missing service skips it
// with one line naming scripts/test.sh, or fails it when services are required.
func TestMissingSkipsOrFails(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string
	}{
		{nil, "--- SKIP"},
		{[]string{"CI=true"}, "--- FAIL"},
		{[]string{RequireVar + "=1"}, "--- FAIL"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMissingService$", "-test.v")
		cmd.Env = append(cleanEnv(), append(c.env, "TESTENV_HELPER=1")...)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), c.want) || !strings.Contains(string(out), "MACROBENCH_TESTENV_NOT_A_SERVICE is not set") ||
			!strings.Contains(string(out), "scripts/test.sh") {
			t.Errorf("env %v: want %s naming the variable and scripts/test.sh, got:\n%s", c.env, c.want, out)
		}
	}
}

func TestHelperMissingService(t *testing.T) {
	if os.Getenv("TESTENV_HELPER") != "1" {
		t.Skip("run by TestMissingSkipsOrFails")
	}
	Env(t, "MACROBENCH_TESTENV_NOT_A_SERVICE")
	t.Error("Env returned for a missing variable")
}

// cleanEnv is the environment without the variables that require services.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CI=") && !strings.HasPrefix(kv, RequireVar+"=") && !strings.HasPrefix(kv, OfficialVar+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// An official-image-only service is skipped even under CI (which cannot
// have it), saying it did not run; MACROBENCH_REQUIRE_OFFICIAL fails it.
func TestOfficialEnvSkipsEvenUnderCIUnlessRequired(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string
	}{
		{nil, "--- SKIP"},
		{[]string{"CI=true", RequireVar + "=1"}, "--- SKIP"},
		{[]string{OfficialVar + "=1"}, "--- FAIL"},
		{[]string{"CI=true", OfficialVar + "=1"}, "--- FAIL"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOfficialService$", "-test.v")
		cmd.Env = append(cleanEnv(), append(c.env, "TESTENV_HELPER=1")...)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), c.want) || !strings.Contains(string(out), "MACROBENCH_TESTENV_NOT_OFFICIAL is not set") ||
			!strings.Contains(string(out), "never in CI") {
			t.Errorf("env %v: want %s naming the variable and that CI never runs it, got:\n%s", c.env, c.want, out)
		}
	}
	t.Setenv("MACROBENCH_TESTENV_NOT_OFFICIAL", "http://127.0.0.1:1")
	if got := OfficialEnv(t, "MACROBENCH_TESTENV_NOT_OFFICIAL", "a service"); got != "http://127.0.0.1:1" {
		t.Errorf("OfficialEnv = %q with the variable set", got)
	}
}

func TestHelperOfficialService(t *testing.T) {
	if os.Getenv("TESTENV_HELPER") != "1" {
		t.Skip("run by TestOfficialEnvSkipsEvenUnderCIUnlessRequired")
	}
	OfficialEnv(t, "MACROBENCH_TESTENV_NOT_OFFICIAL", "a service")
	t.Error("OfficialEnv returned for a missing variable")
}
