// Package agentscontract is the agents endpoints' contract, in one place for
// the app that serves it (internal/service/agents) and everything that checks or
// measures it (the bench's verification and pgbench ceilings, the perf
// harness, the e2e checks): the original benchmark's agents query, its
// columns, the rows it yields on the seed in postgres/initdb, and the JSON
// body of GET /agents and /agents_with_pool.
//
// Its tests hold the query against the seed on a real PostgreSQL;
// internal/checks/stackcheck holds postgres/exporter/queries.yaml's filter against
// StatementsPattern. Standard library only, so that any binary may use it
// at no cost.
package agentscontract

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Query is the original benchmark's agents query, verbatim (pg_stat_statements
// shows it under this text).
const Query = `SELECT af.number AS number, als.extension AS extension, als.context AS context,
       als.state_interface AS state_interface, 'offline' AS status,
       '-1' AS extension_status, '0' AS paused
FROM agentfeatures af LEFT JOIN agent_login_status als ON (af.id = als.agent_id)`

// Columns are Query's result columns, in its order; they are also the keys of
// every object of the body, in the same order.
var Columns = [...]string{"number", "extension", "context", "state_interface", "status", "extension_status", "paused"}

// StatementsPattern is the LIKE pattern that picks the agents query (the
// app's text and PgbenchScript's alike) out of pg_stat_statements. A query
// filtering with it as a constant never matches itself: pg_stat_statements
// shows the constant as $1.
const StatementsPattern = `%FROM agentfeatures af LEFT JOIN agent_login_status als%`

// PgbenchScript is Query as a pgbench script: one line, terminated.
func PgbenchScript() string {
	return strings.ReplaceAll(Query, "\n", " ") + ";\n"
}

// The seed (postgres/initdb/02-seed.sql): agents numbered FirstNumber to
// LastNumber, all in numgroup SeedNumgroup and context SeedContext, none
// logged in (agent_login_status is empty).
const (
	SeedAgents   = 50
	FirstNumber  = 300
	LastNumber   = FirstNumber + SeedAgents - 1 // 349
	SeedNumgroup = 1
	SeedContext  = "default"
)

// The constant columns of every row.
const (
	Status          = "offline"
	ExtensionStatus = "-1"
	Paused          = "0"
)

// Agent is one row of Query and one object of the body (JSON keys = Columns).
// The login columns are NULL (nil) for an agent that is not logged in.
type Agent struct {
	Number          string  `json:"number"`
	Extension       *string `json:"extension"`
	Context         *string `json:"context"`
	StateInterface  *string `json:"state_interface"`
	Status          string  `json:"status"`
	ExtensionStatus string  `json:"extension_status"`
	Paused          string  `json:"paused"`
}

// Row is the row Query yields on the seed for the agent numbered number.
func Row(number string) Agent {
	return Agent{Number: number, Status: Status, ExtensionStatus: ExtensionStatus, Paused: Paused}
}

// Seeded is every row Query yields on the seed, by number.
func Seeded() []Agent {
	rows := make([]Agent, 0, SeedAgents)
	for n := FirstNumber; n <= LastNumber; n++ {
		rows = append(rows, Row(strconv.Itoa(n)))
	}
	return rows
}

// IsSeedNumber reports whether s is one of the seed's agent numbers
// ("300".."349", as a string, the column's type).
func IsSeedNumber(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && strconv.Itoa(n) == s && n >= FirstNumber && n <= LastNumber
}

// Object is a as a decoded JSON object (encoding/json into any): what a
// checker compares a decoded body's element with.
func (a Agent) Object() map[string]any {
	obj := map[string]any{
		"number": a.Number, "status": a.Status, "extension_status": a.ExtensionStatus, "paused": a.Paused,
		"extension": nil, "context": nil, "state_interface": nil,
	}
	for k, p := range map[string]*string{"extension": a.Extension, "context": a.Context, "state_interface": a.StateInterface} {
		if p != nil {
			obj[k] = *p
		}
	}
	return obj
}

// Body is the body of GET /agents and /agents_with_pool on the seed, byte for
// byte: the rows of Seeded as a compact JSON array (encoding/json's escaping).
func Body() []byte {
	return BodyOf(Seeded())
}

// BodyOf is the body for rows, in their order.
func BodyOf(rows []Agent) []byte {
	b, err := json.Marshal(rows)
	if err != nil {
		panic(err) // strings and nil pointers always marshal
	}
	return b
}
