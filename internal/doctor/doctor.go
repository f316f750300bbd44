// Package doctor owns `exporter doctor`: the seed's Troubleshooting section
// as checks run in order against the configured (or adopted) endpoints and
// AWS APIs. Each check returns a Result (PASS, WARN, FAIL or SKIP) with a
// one-line detail and the fix. The network, Redis and AWS I/O sits behind
// small interfaces (Resolver, Dialer, the SDK client interfaces); the
// verdicts are pure functions of what the I/O observed, table-tested.
//
// Nothing doctor prints holds a secret: the password never enters a
// Result, every Result passes Report.Redact, and text from Redis or AWS is
// bounded and stripped of control characters before it is shown.
package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/elasticache-exporter/elasticache-exporter/internal/oneline"
)

// Status is a check's verdict.
type Status string

const (
	// Pass: the check found nothing wrong.
	Pass Status = "PASS"
	// Warn: the exporter works, but something is likely to bite later
	// (a certificate expiring within 30 days, a latency read refused, ...).
	Warn Status = "WARN"
	// Fail: the exporter cannot do what the configuration asks.
	Fail Status = "FAIL"
	// Skip: not run, because an earlier check of the same endpoint failed
	// or the check cannot be made without changing anything.
	Skip Status = "SKIP"
)

// Result is one check's outcome. Name is Check and Target together, the
// way a line starts.
type Result struct {
	Name   string `json:"name"`
	Check  string `json:"check"`
	Target string `json:"target,omitempty"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// result builds a Result. The target may come from an API or a node
// (an endpoint address, a member id), so it is cleaned here.
func result(check, target string, s Status, detail, fix string) Result {
	target = clean(target)
	name := check
	if target != "" {
		name += " " + target
	}
	return Result{Name: name, Check: check, Target: target, Status: s, Detail: detail, Fix: fix}
}

// Report is every check's result, in the order they ran.
type Report struct {
	Results []Result `json:"checks"`
}

// Failed says whether any check failed.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status == Fail {
			return true
		}
	}
	return false
}

// ExitCode is 1 when a check failed, else 0 (warnings allowed).
func (r *Report) ExitCode() int {
	if r.Failed() {
		return 1
	}
	return 0
}

// Counts returns how many results have each status.
func (r *Report) Counts() map[Status]int {
	c := map[Status]int{Pass: 0, Warn: 0, Fail: 0, Skip: 0}
	for _, res := range r.Results {
		c[res.Status]++
	}
	return c
}

// Redact replaces every occurrence of each secret in every result's text.
// It is the last step before output: no check is meant to put a secret
// into a result, and this makes sure none does.
func (r *Report) Redact(secrets ...string) {
	for i := range r.Results {
		res := &r.Results[i]
		for _, s := range secrets {
			if s == "" {
				continue
			}
			res.Name = redactOne(res.Name, s)
			res.Target = redactOne(res.Target, s)
			res.Detail = redactOne(res.Detail, s)
			res.Fix = redactOne(res.Fix, s)
		}
	}
}

// redactOne replaces secret in text as it was sent and as clean() shows
// it (control characters as spaces), and the head of it that clean() left
// before its "…" when it cut the text there.
func redactOne(text, secret string) string {
	text = strings.ReplaceAll(text, secret, "<secret>")
	shown := strings.TrimSuffix(clean(secret), "…")
	if shown == "" {
		return text
	}
	text = strings.ReplaceAll(text, shown, "<secret>")
	if body, cut := strings.CutSuffix(text, "…"); cut {
		for n := len(shown) - 1; n >= 3; n-- {
			if strings.HasSuffix(body, shown[:n]) {
				return body[:len(body)-n] + "<secret>…"
			}
		}
	}
	return text
}

// WriteText prints one line per check: status, name, detail and the fix.
func (r *Report) WriteText(w io.Writer) error {
	for _, res := range r.Results {
		line := fmt.Sprintf("%-4s  %s: %s", res.Status, res.Name, res.Detail)
		if res.Fix != "" && res.Status != Pass {
			line += " — fix: " + res.Fix
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	c := r.Counts()
	_, err := fmt.Fprintf(w, "%d passed, %d warnings, %d failed, %d skipped\n", c[Pass], c[Warn], c[Fail], c[Skip])
	return err
}

// jsonReport is the --output json document.
type jsonReport struct {
	OK      bool           `json:"ok"`
	Summary map[Status]int `json:"summary"`
	Checks  []Result       `json:"checks"`
}

// WriteJSON prints the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	checks := r.Results
	if checks == nil {
		checks = []Result{}
	}
	return enc.Encode(jsonReport{OK: !r.Failed(), Summary: r.Counts(), Checks: checks})
}

// maxShown bounds text that came from a server or an API.
const maxShown = 300

// clean makes hostile text (a Redis error reply, an AWS message) safe for
// one output line: control characters become spaces, invalid UTF-8 is
// dropped, and it is cut at maxShown runes.
func clean(s string) string { return oneline.Clean(s, maxShown) }
