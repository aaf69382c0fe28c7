package runresult

// Accounting is the definition of attempts, failures and the error ratio,
// as every report states it. Attempts, Failed and ErrorRatio implement it;
// nothing else adds the classes up. (One literal: a constant's parts would
// be mutants no test can run, scripts/mutation.sh.)
const Accounting = "every request the generator sent in a run's window is exactly one of: a response received in the window (*requests*; non-2xx/3xx among them), a connect, read or write error, or *in flight* when the window closed. Their sum is the *attempts*. A *timeout* is a flag, not an outcome: a request whose response took longer than the generator's --timeout (among the responses or the in-flight ones). *Failed* attempts are the socket errors, the non-2xx responses and the timeouts (a late non-2xx counts in both, as wrk counts it, so this is an upper bound, capped at the attempts); the *error ratio* is failed ÷ attempts. An in-flight request that had not timed out is not a failure: the window closed on it."

// Attempts is every request sent in the window: the responses, the socket
// errors and those in flight at the end (see Accounting).
func Attempts(responses, inFlight int64, e Errors) int64 { return responses + e.Socket() + inFlight }

// Failed is the failed attempts: socket errors, non-2xx responses and
// timeouts, at most the attempts (see Accounting).
func Failed(responses, inFlight int64, e Errors) int64 {
	return min(Attempts(responses, inFlight, e), e.Socket()+e.Status+e.Timeout)
}

// ErrorRatio is Failed over Attempts (0 without attempts).
func ErrorRatio(responses, inFlight int64, e Errors) float64 {
	a := Attempts(responses, inFlight, e)
	if a == 0 {
		return 0
	}
	return float64(Failed(responses, inFlight, e)) / float64(a)
}
