package e2echeck

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
)

func TestCheckHardening(t *testing.T) {
	// As `docker inspect` prints it (Docker 20.10).
	inspect := `[{"Name":"/macrobench-e2e-app-1","HostConfig":{"CapAdd":null,"CapDrop":["ALL"],
	  "SecurityOpt":["no-new-privileges:true"],"ReadonlyRootfs":true,"Memory":536870912,"PidsLimit":256},
	  "Config":{"User":"","Labels":{"com.docker.compose.service":"app"}}},
	 {"Name":"/macrobench-e2e-postgres-1","HostConfig":{"CapAdd":["CHOWN"],"CapDrop":null,
	  "SecurityOpt":null,"ReadonlyRootfs":false,"Memory":0,"PidsLimit":null},
	  "Config":{"User":"postgres","Labels":{"com.docker.compose.service":"postgres"}}}]`
	var hs []Hardening
	if err := json.Unmarshal([]byte(inspect), &hs); err != nil {
		t.Fatal(err)
	}
	if err := CheckHardening(hs[:1]); err != nil {
		t.Errorf("a hardened container: %v", err)
	}
	err := CheckHardening(hs)
	if err == nil {
		t.Fatal("no error for an unconfined container")
	}
	for _, want := range []string{"postgres (macrobench-e2e-postgres-1)", "cap_drop []", "cap_add [CHOWN]", "security_opt []",
		"writable root file system", "no memory limit", "no pids limit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v: want %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "app (") {
		t.Errorf("%v: names the hardened app", err)
	}
	if CheckHardening(nil) == nil {
		t.Error("no error for no containers")
	}
}

// The security step's database checks pass on a cluster set up as compose
// sets it up (postgres/initdb, postgres/pg_hba.conf) and fail when the
// superuser can log in over TCP.
func TestCheckDatabaseRoles(t *testing.T) {
	c := testenv.StartPostgres(t)
	root := testenv.RepoRoot(t)
	pw, err := pgroles.Passwords(root, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	s := Endpoints{DatabaseAddr: c.Addr(), Passwords: pw}
	// The cluster's own pg_hba.conf trusts everyone over TCP.
	if err := CheckDatabaseRoles(context.Background(), s, root); err == nil || !strings.Contains(err.Error(), "postgres logged in over TCP") {
		t.Errorf("under trust: %v, want the superuser's login reported", err)
	}
	if err := c.RestartWithRepoHBA(); err != nil {
		t.Fatal(err)
	}
	if err := CheckDatabaseRoles(context.Background(), s, root); err != nil {
		t.Error(err)
	}
	if err := CheckSeed(context.Background(), s.AppDSN()); err != nil {
		t.Errorf("the seed, as the app's role: %v", err)
	}
}

func TestCheckExporterUp(t *testing.T) {
	value := "1"
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// client_golang's API client POSTs the query as a form.
		if r.URL.Path != "/api/v1/query" || r.FormValue("query") != "pg_up" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"pg_up"},"value":[1700000000.0,%q]}]}}`, value)
	}))
	defer prom.Close()
	if err := CheckExporterUp(context.Background(), prom.URL); err != nil {
		t.Errorf("pg_up 1: %v", err)
	}
	value = "0"
	if err := CheckExporterUp(context.Background(), prom.URL); err == nil || !strings.Contains(err.Error(), pgroles.Exporter) {
		t.Errorf("pg_up 0: %v, want an error naming %s", err, pgroles.Exporter)
	}
}
