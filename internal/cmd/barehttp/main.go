// Command barehttp is the /index reference for scripts/perf.sh: a bare
// net/http handler that JSON-encodes the same object on every request.
// Benchmark-only code; not part of the app.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

type hello struct {
	Hello string `json:"hello"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: barehttp ADDR")
		os.Exit(2)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(hello{Hello: "world"})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	if err := http.ListenAndServe(os.Args[1], h); err != nil {
		fmt.Fprintln(os.Stderr, "barehttp:", err)
		os.Exit(1)
	}
}
