package benchrun

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The bench annotates with the credential the user set, and with none it
// posts nothing: never Grafana's first-run admin/admin.
func TestAnnotateUsesOnlyTheCredentialTheUserSet(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	annotate := func() error {
		return Annotate(context.Background(), srv.URL, "x", nil, time.Now(), time.Now())
	}
	for _, v := range []string{"GRAFANA_TOKEN", "GRAFANA_USER", "GRAFANA_PASSWORD", "GRAFANA_ADMIN_PASSWORD"} {
		t.Setenv(v, "")
	}

	if err := annotate(); !errors.Is(err, ErrNoGrafanaCredential) {
		t.Errorf("no credential: %v, want ErrNoGrafanaCredential", err)
	}
	if len(got) != 0 {
		t.Errorf("no credential: %d requests sent (%q), want none", len(got), got)
	}
	if n := GrafanaCredentialNotice(); !strings.Contains(n, "GRAFANA_ADMIN_PASSWORD") || strings.Contains(n, "\n") {
		t.Errorf("notice %q: want one line naming GRAFANA_ADMIN_PASSWORD", n)
	}

	t.Setenv("GRAFANA_ADMIN_PASSWORD", "s3cret")
	if err := annotate(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GRAFANA_TOKEN", "glsa_token")
	if err := annotate(); err != nil {
		t.Fatal(err)
	}
	if GrafanaCredentialNotice() != "" {
		t.Error("a notice with a credential set")
	}
	basic := (&http.Request{Header: http.Header{}})
	basic.SetBasicAuth("admin", "s3cret")
	want := []string{basic.Header.Get("Authorization"), "Bearer glsa_token"}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Authorization headers %q, want %q", got, want)
	}
}
