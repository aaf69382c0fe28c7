// Package layout holds the test that docs/layout.md, the package map, is
// the repository's packages: every package of the root module and of each
// nested module (mains included) has its line, no line names a package
// that does not exist, no two packages share a folder name, and internal/
// shows at most eight entries.
package layout
