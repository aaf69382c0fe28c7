// Package agents runs the benchmark's agents query (agentscontract.Query) two
// ways: on a new PostgreSQL connection per call (NewConn, the /agents
// endpoint) and through a long-lived database/sql pool with a prepared
// statement (Pool, /agents_with_pool). Both append the same JSON body
// (agentscontract.Body on the seed) to a caller's buffer.
package agents

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// Source is one way of running agentscontract.Query: Agents appends the JSON
// array of all agents (agentscontract's body) to buf.
type Source interface {
	Agents(ctx context.Context, buf []byte) ([]byte, error)
}

// keyPrefixes are `{"number":` and `,"extension":` etc., built once.
var keyPrefixes = func() (p [len(agentscontract.Columns)]string) {
	for i, c := range agentscontract.Columns {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		p[i] = sep + `"` + c + `":`
	}
	return p
}()

// appendRow appends one agent object. Values are what lib/pq returns for
// text columns: string, []byte or nil (SQL NULL, JSON null).
func appendRow(buf []byte, vals []driver.Value) ([]byte, error) {
	for i, v := range vals {
		buf = append(buf, keyPrefixes[i]...)
		switch v := v.(type) {
		case nil:
			buf = append(buf, "null"...)
		case string:
			buf = appendString(buf, v)
		case []byte:
			buf = appendString(buf, string(v))
		default:
			return buf, fmt.Errorf("column %s: unexpected %T", agentscontract.Columns[i], v)
		}
	}
	return append(buf, '}'), nil
}

// appendString appends s as a JSON string, byte-identical to encoding/json:
// plain ASCII is copied as is, anything else goes through json.Marshal.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// appendRows appends the JSON array of all rows and closes rows.
func appendRows(buf []byte, rows driver.Rows) ([]byte, error) {
	defer rows.Close()
	if n := len(rows.Columns()); n != len(agentscontract.Columns) {
		return buf, fmt.Errorf("agents query returned %d columns, want %d", n, len(agentscontract.Columns))
	}
	vals := make([]driver.Value, len(agentscontract.Columns))
	buf = append(buf, '[')
	for n := 0; ; n++ {
		err := rows.Next(vals)
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, err
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		if buf, err = appendRow(buf, vals); err != nil {
			return buf, err
		}
	}
	return append(buf, ']'), nil
}
