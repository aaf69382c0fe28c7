// Package formats reads and writes what the lab shares with other tools:
// wrk's and wrk2's text output (ParseWrk, and its printed numbers: WrkTime,
// WrkBinary, WrkMetric), pgbench's summary (ParsePgbench), HdrHistogram's
// percentile distribution text (.hgrm: WriteHgrm, ExtractHgrm), and the
// quantities the command lines take as wrk does: a fraction ("1%" or
// "0.01": Fraction) and a time ("30s", "5m", "30": Duration). It imports no
// other package of the lab.
package formats
