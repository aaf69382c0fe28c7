package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq"

	"github.com/macrobench/macrobench/internal/shared/docker"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
)

// DockerImage is the image of the throwaway cluster on a machine without
// PostgreSQL's server binaries: compose.yaml's postgres image
// (internal/checks/stackcheck holds them equal). MACROBENCH_TEST_PG_IMAGE overrides
// it (scripts/e2e.sh's stand-in, say).
const DockerImage = "postgres:15.18-bookworm"

// containerFile, in a Docker cluster's directory, names its container.
const containerFile = "container"

// trustHBA lets every connection in without a password, as the clusters
// made from the machine's binaries do.
const trustHBA = "local all all trust\nhost all all 0.0.0.0/0 trust\nhost all all ::/0 trust\n"

// StartDocker runs c as a container of the image (DockerImage when ""),
// seeded as compose seeds the lab's (postgres/initdb through the image's
// entrypoint, postgres/postgresql.conf), published on 127.0.0.1:c.Port, with
// the cluster's usual trust-everyone pg_hba.conf, and waits until the seeded
// database answers over TCP. Destroy removes the container. For the tests'
// shared database only: tests that start a cluster of their own need the
// server binaries.
func (c *Cluster) StartDocker(ctx context.Context, image string) error {
	if image == "" {
		image = DockerImage
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	hba := filepath.Join(c.Dir, "pg_hba.conf")
	if err := os.WriteFile(hba, []byte(trustHBA), 0o644); err != nil {
		return err
	}
	passwords, err := pgroles.Passwords(c.Repo, os.Getenv)
	if err != nil {
		return err
	}
	name := "macrobench-test-pg-" + strconv.Itoa(c.Port)
	args := []string{"run", "-d", "--name", name, "-p", "127.0.0.1:" + strconv.Itoa(c.Port) + ":5432",
		"-e", "POSTGRES_USER=" + User, "-e", "POSTGRES_DB=" + Database,
		// The entrypoint wants a superuser password; nobody needs it (trust).
		"-e", "POSTGRES_PASSWORD_FILE=/proc/sys/kernel/random/uuid",
		"-v", filepath.Join(c.Repo, "postgres", "initdb") + ":/docker-entrypoint-initdb.d:ro",
		"-v", filepath.Join(c.Repo, "postgres", "postgresql.conf") + ":/etc/postgresql/postgresql.conf:ro",
		"-v", hba + ":/etc/postgresql/test_hba.conf:ro"}
	for role, pw := range passwords {
		args = append(args, "-e", pgroles.PasswordVar[role]+"="+pw)
	}
	args = append(args, image, "postgres", "-c", "config_file=/etc/postgresql/postgresql.conf", "-c", "hba_file=/etc/postgresql/test_hba.conf")
	cli := docker.CLI{Bin: "docker"}
	if _, err := cli.Run(ctx, args...); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.Dir, containerFile), []byte(name+"\n"), 0o644); err != nil {
		return err
	}
	// The entrypoint seeds on a server without TCP, then starts the real one.
	db, err := sql.Open("postgres", c.URL())
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var n int
		qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = db.QueryRowContext(qctx, "SELECT count(*) FROM agentfeatures").Scan(&n)
		cancel()
		if err == nil {
			return nil
		}
		if running, _ := cli.Run(ctx, "inspect", "-f", "{{.State.Running}}", name); strings.TrimSpace(running) != "true" || time.Now().After(deadline) {
			logs, _ := cli.Command(ctx, "logs", "--tail", "30", name).CombinedOutput()
			return fmt.Errorf("PostgreSQL in container %s did not come up: %v\n%s", name, err, logs)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// removeContainer removes a Docker cluster's container, if dir is one's.
func removeContainer(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, containerFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = docker.CLI{Bin: "docker"}.Run(context.Background(), "rm", "-f", "-v", strings.TrimSpace(string(b)))
	return err
}
