package e2echeck

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/lib/pq" // the driver the app uses

	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// CheckSeed checks the seed that postgres/initdb loads (agentscontract): 50
// agents numbered 300 to 349 and no login status rows.
func CheckSeed(ctx context.Context, dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var n, lo, hi, logins int
	err = db.QueryRowContext(ctx, `SELECT count(*), min(number::int), max(number::int),
		(SELECT count(*) FROM agent_login_status) FROM agentfeatures`).Scan(&n, &lo, &hi, &logins)
	if err != nil {
		return fmt.Errorf("seed query: %v", err)
	}
	if n != agentscontract.SeedAgents || lo != agentscontract.FirstNumber || hi != agentscontract.LastNumber || logins != 0 {
		return fmt.Errorf("seed: %d agents numbered %d..%d and %d login rows; want %d, %d..%d, 0", n, lo, hi, logins,
			agentscontract.SeedAgents, agentscontract.FirstNumber, agentscontract.LastNumber)
	}
	return nil
}
