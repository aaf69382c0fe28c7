// Command pgcluster starts or stops a throwaway, seeded PostgreSQL cluster for
// scripts/test.sh.
//
//	pgcluster start DIR   creates and starts a cluster in DIR, prints its URL
//	pgcluster stop DIR    stops it and removes DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/macrobench/macrobench/internal/pgcluster"
	"github.com/macrobench/macrobench/internal/proc"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pgcluster:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 || (args[0] != "start" && args[0] != "stop") {
		return fmt.Errorf("usage: pgcluster start|stop DIR")
	}
	bin, err := pgcluster.FindBinDir()
	if err != nil {
		return err
	}
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(args[1])
	if err != nil {
		return err
	}
	c := &pgcluster.Cluster{Dir: dir, BinDir: bin, Repo: repo}
	if args[0] == "stop" {
		return c.Destroy()
	}
	if c.Port, err = proc.FreePort(); err != nil {
		return err
	}
	if err := c.Create(); err != nil {
		_ = c.Destroy()
		return err
	}
	fmt.Println(c.URL())
	return nil
}
