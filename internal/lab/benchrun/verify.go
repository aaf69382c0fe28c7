package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// expectation checks a decoded JSON body, returning "expected …, got …" problems.
type expectation func(body any) []string

var expectations = map[string]expectation{
	"/index":            expectIndex,
	"/agents":           expectAgents,
	"/agents_with_pool": expectAgents,
}

func expectIndex(body any) []string {
	want := map[string]any{"hello": "world"}
	if !reflect.DeepEqual(body, want) {
		return []string{fmt.Sprintf(`expected body {"hello":"world"}, got %s`, short(body))}
	}
	return nil
}

// agentKeys are the columns of the agents query, in its order.
var agentKeys = agentscontract.Columns[:]

func expectAgents(body any) []string {
	list, ok := body.([]any)
	if !ok {
		return []string{fmt.Sprintf("expected a JSON array of %d agents, got %s", agentscontract.SeedAgents, short(body))}
	}
	var problems []string
	if len(list) != agentscontract.SeedAgents {
		problems = append(problems, fmt.Sprintf("expected %d agents, got %d", agentscontract.SeedAgents, len(list)))
	}
	seen := map[string]bool{}
	for i, item := range list {
		obj, ok := item.(map[string]any)
		if !ok {
			problems = append(problems, fmt.Sprintf("agent %d: expected an object, got %s", i, short(item)))
			continue
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		wantKeys := append([]string(nil), agentKeys...)
		sort.Strings(wantKeys)
		if !reflect.DeepEqual(keys, wantKeys) {
			problems = append(problems, fmt.Sprintf("agent %d: expected keys %v, got %v", i, wantKeys, keys))
			continue
		}
		want := agentscontract.Row("").Object()
		want["number"] = obj["number"]
		if !reflect.DeepEqual(obj, want) {
			problems = append(problems, fmt.Sprintf("agent %d: expected %s, got %s", i, short(want), short(obj)))
		}
		n, _ := obj["number"].(string)
		if !agentscontract.IsSeedNumber(n) {
			problems = append(problems, fmt.Sprintf(`agent %d: expected "number" a string "%d".."%d", got %s`, i, agentscontract.FirstNumber, agentscontract.LastNumber, short(obj["number"])))
		} else if seen[n] {
			problems = append(problems, fmt.Sprintf("agent %d: number %s appears twice", i, n))
		}
		seen[n] = true
		if len(problems) > 5 {
			return append(problems, "… (further agents not checked)")
		}
	}
	return problems
}

// expectedBody is the body every target's endpoint must give on the seed:
// the app's exactly these bytes, the original's the same JSON.
func expectedBody(endpoint string) []byte {
	if endpoint == "/index" {
		return []byte(`{"hello":"world"}`)
	}
	return agentscontract.Body()
}

// bodyCheck says how a target's body is verified (for the log).
func bodyCheck(target string) string {
	if target == report.TargetOriginal {
		return "JSON equal to the expected body"
	}
	return "exact body"
}

// Verify requests target's endpoint once (at baseURL) and checks its status,
// its headers (Content-Type application/json, Date, Content-Length: gunicorn
// sends them too) and its body: the app's byte for byte; the original's,
// whose json.dumps orders and spaces its keys its own way, parsed and equal
// to the expected JSON. It returns the problems found, "expected …, got …"
// (empty when the endpoint is right).
func Verify(ctx context.Context, client *http.Client, target, baseURL, endpoint string) []string {
	check, ok := expectations[endpoint]
	if !ok {
		return []string{fmt.Sprintf("no expectation for endpoint %s", endpoint)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+endpoint, nil)
	if err != nil {
		return []string{err.Error()}
	}
	// The generator does not follow redirects: neither does the check.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return []string{fmt.Sprintf("expected a response, got %v", err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return []string{fmt.Sprintf("expected a complete body, got %v", err)}
	}
	var problems []string
	if resp.StatusCode != http.StatusOK {
		problems = append(problems, fmt.Sprintf("expected status 200, got %d (body: %s)", resp.StatusCode, clip(string(raw), 200)))
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		problems = append(problems, fmt.Sprintf("expected Content-Type application/json, got %q", ct))
	}
	if resp.Header.Get("Date") == "" {
		problems = append(problems, "expected a Date header, got none")
	}
	if resp.ContentLength < 0 || len(resp.TransferEncoding) > 0 {
		problems = append(problems, fmt.Sprintf("expected a Content-Length header, got none (Transfer-Encoding %v)", resp.TransferEncoding))
	} else if resp.ContentLength != int64(len(raw)) {
		problems = append(problems, fmt.Sprintf("expected Content-Length %d (the body's length), got %d", len(raw), resp.ContentLength))
	}
	if len(problems) > 0 && resp.StatusCode != http.StatusOK {
		return problems // the body of an error page is not worth decoding
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var body any
	if err := dec.Decode(&body); err != nil {
		return append(problems, fmt.Sprintf("expected a JSON body, got %s (%v)", clip(string(raw), 200), err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return append(problems, fmt.Sprintf("expected one JSON value, got trailing data: %s", clip(string(raw), 200)))
	}
	if p := check(body); len(p) > 0 {
		return append(problems, p...) // what is wrong, element by element
	}
	// Every element right: the whole body, as each target must give it.
	want := expectedBody(endpoint)
	if target == report.TargetOriginal {
		var w any
		if err := json.Unmarshal(want, &w); err != nil {
			panic(err) // the expected body is ours
		}
		if !reflect.DeepEqual(body, w) {
			problems = append(problems, fmt.Sprintf("expected JSON equal to %s, got %s", clip(string(want), 120), clip(string(raw), 120)))
		}
	} else if !bytes.Equal(raw, want) {
		problems = append(problems, fmt.Sprintf("expected exactly the %d bytes %s, got %d bytes %s", len(want), clip(string(want), 120), len(raw), clip(string(raw), 120)))
	}
	return problems
}

func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return clip(string(b), 200)
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
