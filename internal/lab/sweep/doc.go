// Package sweep finds a target's capacity at a latency objective: the
// highest constant offered rate at which an endpoint still meets the user's
// objective (by default p99 ≤ 100 ms and errors ≤ 0.1%), found by a rate
// sweep (issue 15).
//
// # Contract
//
// Run drives a search over offered rates through a StepFunc, which runs one
// constant-rate (open-loop, corrected-latency) step and returns its measured
// figures. Run never runs two steps at once and never measures anything
// itself: isolation between steps (the previous step's requests drained, the
// server idle) is the StepFunc's job (the bench's runs the generator's
// container; the tests' LoadgenStep runs internal/loadgen in this process
// and pauses between steps), and a caller can wrap any StepFunc to add its
// own wait.
//
// A step passes when all of these hold (Objective.Check):
//
//   - its achieved rate is at least 97% of the offered rate (MinAchieved);
//   - its corrected p99 is at most Objective.P99;
//   - its error ratio, failed ÷ attempts, is at most Objective.ErrorRatio.
//
// Attempts and failed follow the lab's accounting (Account): every request
// sent in the window is a response, a connect/read/write error or in flight
// at the end, and their sum is the attempts; the failed ones are the socket
// errors, the non-2xx/3xx responses and the timeouts (a flag on responses
// and in-flight requests), capped at the attempts.
//
// The search (Run): steps climb geometrically from Plan.Start (× Plan.Growth,
// capped at Plan.Max) until one fails; then bisection between the last pass
// and the first fail until (fail − pass) ÷ pass ≤ Plan.Resolution. The
// result is
//
//   - OutcomeKnee: the search completed and a failing step brackets the
//     highest passing one: Result.Knee, with the steps on either side;
//   - OutcomeBelowStart: the very first step failed; the capacity is below
//     Plan.Start (Result.UpperBound), nothing else is tried;
//   - OutcomeLowerBound: cut short (Reason "budget" or "interrupted") or
//     every step passed up to Plan.Max (Reason "max rate reached"): the
//     capacity is at least Result.LowerBound; never a knee;
//   - OutcomeNone: cut short before any step (a deadline too close).
//
// The budget: before each step but the first, Run estimates the step's wall
// time as Plan.Step plus the largest overhead (wall time beyond Plan.Step)
// of the steps so far; when that does not fit in what is left of
// Plan.Budget (or before the context's deadline, whichever is sooner) it
// stops and records in Result.Skipped the steps it did not run. It never
// starts a step it expects to end past the budget. The context's deadline
// is a budget too, never an interruption: a step it ends midway (one that
// took longer than estimated) is dropped and listed as skipped, and the
// sweep reports Reason "budget" without an error; only a canceled context
// is "interrupted".
//
// All result types carry snake_case JSON tags for summary.json; Table gives
// the markdown lines of a report (the report package draws the chart of
// latency against the offered rate, in every chart's palette and style).
package sweep
