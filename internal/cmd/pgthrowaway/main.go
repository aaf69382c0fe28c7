// Command pgcluster starts or stops a throwaway, seeded PostgreSQL cluster for
// scripts/test.sh.
//
//	pgcluster start DIR           creates and starts a cluster in DIR from the
//	                              machine's server binaries, prints its URL
//	pgcluster start --docker DIR  the same cluster in a container (no server
//	                              binaries here): pgcluster.DockerImage, or
//	                              $MACROBENCH_TEST_PG_IMAGE
//	pgcluster stop DIR            stops it (removes its container) and removes DIR
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/macrobench/macrobench/internal/checks/pgcluster"
	"github.com/macrobench/macrobench/internal/shared/proc"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pgcluster:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	useDocker := len(args) == 3 && args[0] == "start" && args[1] == "--docker"
	if useDocker {
		args = []string{"start", args[2]}
	}
	if len(args) != 2 || (args[0] != "start" && args[0] != "stop") {
		return fmt.Errorf("usage: pgcluster start [--docker] DIR | stop DIR")
	}
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(args[1])
	if err != nil {
		return err
	}
	c := &pgcluster.Cluster{Dir: dir, Repo: repo}
	if args[0] == "stop" {
		c.BinDir, _ = pgcluster.FindBinDir() // none for a container's
		return c.Destroy()
	}
	if c.Port, err = proc.FreePort(); err != nil {
		return err
	}
	if useDocker {
		err = c.StartDocker(context.Background(), os.Getenv("MACROBENCH_TEST_PG_IMAGE"))
	} else if c.BinDir, err = pgcluster.FindBinDir(); err == nil {
		err = c.Create()
	}
	if err != nil {
		_ = c.Destroy()
		return err
	}
	fmt.Println(c.URL())
	return nil
}
