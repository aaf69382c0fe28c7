package agentscontract

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	_ "github.com/lib/pq" // the driver the app uses

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

func TestBodyKeysAreTheColumnsInOrder(t *testing.T) {
	b := string(BodyOf([]Agent{Row("300")}))
	want := `[{"number":"300","extension":null,"context":null,"state_interface":null,"status":"offline","extension_status":"-1","paused":"0"}]`
	if b != want {
		t.Fatalf("body %s\nwant %s", b, want)
	}
	last := -1
	for _, c := range Columns {
		i := strings.Index(b, `"`+c+`":`)
		if i <= last {
			t.Errorf("key %s missing or out of Columns' order in %s", c, b)
		}
		last = i
	}
	if n := strings.Count(b, `":`); n != len(Columns) {
		t.Errorf("%d keys, want the %d columns", n, len(Columns))
	}
}

func TestSeededRowsAndBody(t *testing.T) {
	rows := Seeded()
	if len(rows) != SeedAgents || rows[0].Number != "300" || rows[len(rows)-1].Number != "349" {
		t.Fatalf("Seeded: %d rows %s..%s, want 50 rows 300..349", len(rows), rows[0].Number, rows[len(rows)-1].Number)
	}
	var decoded []any
	if err := json.Unmarshal(Body(), &decoded); err != nil {
		t.Fatal(err)
	}
	for i, d := range decoded {
		if want := rows[i].Object(); !equalObjects(d, want) {
			t.Errorf("body element %d = %v, want %v", i, d, want)
		}
	}
	for s, want := range map[string]bool{"300": true, "349": true, "325": true, "299": false, "350": false, "0300": false, "+300": false, "": false, "x": false} {
		if IsSeedNumber(s) != want {
			t.Errorf("IsSeedNumber(%q) = %v, want %v", s, !want, want)
		}
	}
}

func equalObjects(got any, want map[string]any) bool {
	g, ok := got.(map[string]any)
	if !ok || len(g) != len(want) {
		return false
	}
	for k, v := range want {
		if gv, ok := g[k]; !ok || gv != v {
			return false
		}
	}
	return true
}

func TestPgbenchScriptIsTheQueryOnOneLine(t *testing.T) {
	s := PgbenchScript()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, ";\n") {
		t.Errorf("PgbenchScript %q: want one line ending in ;", s)
	}
	if strings.Join(strings.Fields(s), " ") != strings.Join(strings.Fields(Query+";"), " ") {
		t.Errorf("PgbenchScript %q is not Query", s)
	}
}

// The query on the seed that postgres/initdb loads (the test run's database,
// created by scripts/test.sh from postgres/): exactly Seeded, in the table's
// order, under Columns; and StatementsPattern finds both texts of it.
func TestQueryOnTheSeed(t *testing.T) {
	db, err := sql.Open("postgres", testenv.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var agents, inSeedGroup, logins int
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE numgroup = $1 AND context = $2),
		(SELECT count(*) FROM agent_login_status) FROM agentfeatures`, SeedNumgroup, SeedContext).Scan(&agents, &inSeedGroup, &logins); err != nil {
		t.Fatal(err)
	}
	if agents != SeedAgents || inSeedGroup != SeedAgents || logins != 0 {
		t.Errorf("seed: %d agents, %d in numgroup %d context %q, %d logins; want %d, all, 0",
			agents, inSeedGroup, SeedNumgroup, SeedContext, logins, SeedAgents)
	}

	rows, err := db.Query(Query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cols, Columns[:]) {
		t.Errorf("columns %v, want %v", cols, Columns)
	}
	var got []Agent
	for rows.Next() {
		var a Agent
		var ext, ctx, si sql.NullString
		if err := rows.Scan(&a.Number, &ext, &ctx, &si, &a.Status, &a.ExtensionStatus, &a.Paused); err != nil {
			t.Fatal(err)
		}
		a.Extension, a.Context, a.StateInterface = ptr(ext), ptr(ctx), ptr(si)
		got = append(got, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if gotBody, want := BodyOf(got), Body(); !bytes.Equal(gotBody, want) {
		t.Errorf("the query on the seed:\n%s\nwant\n%s", gotBody, want)
	}

	// PostgreSQL's own LIKE, on both texts and on pg_stat_statements's
	// normalized one (constants become $n).
	if _, err := db.Exec(strings.TrimSuffix(PgbenchScript(), ";\n")); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{Query, PgbenchScript()} {
		var ok bool
		if err := db.QueryRow(`SELECT $1::text LIKE $2`, text, StatementsPattern).Scan(&ok); err != nil || !ok {
			t.Errorf("%q LIKE %q: %v (%v)", text, StatementsPattern, ok, err)
		}
	}
	var normalized int
	if err := db.QueryRow(`SELECT count(*) FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND query LIKE $1 AND calls > 0`, StatementsPattern).Scan(&normalized); err != nil {
		t.Fatal(err)
	}
	if normalized == 0 {
		t.Errorf("pg_stat_statements has no statement LIKE %q after the query ran", StatementsPattern)
	}
}

func ptr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}
