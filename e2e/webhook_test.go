package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// notifiedAlert is one alert of an Alertmanager webhook notification, as
// it arrived.
type notifiedAlert struct {
	Status      string            `json:"status"` // firing or resolved
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Received    time.Time         `json:"-"`
}

// key names the alert for messages: alertname{node,condition}.
func (a notifiedAlert) key() string {
	k := a.Labels["alertname"] + "{node=" + a.Labels["node"]
	if c := a.Labels["condition"]; c != "" {
		k += ",condition=" + c
	}
	return k + "}"
}

// webhookPayload is the part of Alertmanager's webhook body the test reads
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
type webhookPayload struct {
	Status string          `json:"status"`
	Alerts []notifiedAlert `json:"alerts"`
}

// webhook is the receiver Alertmanager notifies: an HTTP server inside the
// test that keeps every alert posted to it.
type webhook struct {
	srv *httptest.Server
	t   *testing.T

	mu     sync.Mutex
	alerts []notifiedAlert
	bad    []string // bodies that were not webhook JSON
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{t: t}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	t.Cleanup(func() {
		w.mu.Lock()
		bad := len(w.bad)
		w.mu.Unlock()
		if bad > 0 {
			t.Errorf("Alertmanager posted %d bodies that are not webhook JSON", bad)
		}
		if t.Failed() {
			t.Logf("webhook received:\n%s", w.summary())
		}
	})
	return w
}

func (w *webhook) serve(rw http.ResponseWriter, r *http.Request) {
	var p webhookPayload
	err := json.NewDecoder(r.Body).Decode(&p)
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.bad = append(w.bad, err.Error())
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	for _, a := range p.Alerts {
		a.Received = now
		w.alerts = append(w.alerts, a)
	}
}

// URL is where Alertmanager posts.
func (w *webhook) URL() string { return w.srv.URL + "/alerts" }

// received returns a copy of every alert received so far, in order.
func (w *webhook) received() []notifiedAlert {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]notifiedAlert(nil), w.alerts...)
}

// since returns the alerts received at or after t0.
func (w *webhook) since(t0 time.Time) []notifiedAlert {
	var out []notifiedAlert
	for _, a := range w.received() {
		if !a.Received.Before(t0) {
			out = append(out, a)
		}
	}
	return out
}

// summary lists what arrived, for failure messages.
func (w *webhook) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, a := range w.alerts {
		fmt.Fprintf(&b, "  %s %s %s shard=%q\n", a.Received.Format("15:04:05.000"), a.Status, a.key(), a.Labels["shard"])
	}
	for _, e := range w.bad {
		fmt.Fprintf(&b, "  undecodable body: %s\n", e)
	}
	if b.Len() == 0 {
		return "  (nothing)"
	}
	return b.String()
}

// latestByKey is the most recent notification of each alert since t0.
func latestByKey(alerts []notifiedAlert) map[string]notifiedAlert {
	out := map[string]notifiedAlert{}
	for _, a := range alerts {
		out[a.key()] = a
	}
	return out
}

// waitAlerts waits until, since t0, each node in nodes has an alert named
// name whose latest notification has status and whose labels match want;
// it returns those alerts by node.
func (w *webhook) waitAlerts(t *testing.T, timeout time.Duration, t0 time.Time, status, name string, want map[string]string, nodes ...string) map[string]notifiedAlert {
	t.Helper()
	found := map[string]notifiedAlert{}
	waitFor(t, timeout, fmt.Sprintf("%s %s %v on %v at the webhook", name, status, want, nodes), func() string {
		found = map[string]notifiedAlert{}
		for _, a := range latestByKey(w.since(t0)) {
			if a.Labels["alertname"] != name || a.Status != status || !labelsMatch(a.Labels, want) {
				continue
			}
			found[a.Labels["node"]] = a
		}
		var missing []string
		for _, n := range nodes {
			if _, ok := found[n]; !ok {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return "no such alert yet for " + strings.Join(missing, ", ") + "; received:\n" + w.summary()
		}
		return ""
	})
	return found
}

// waitResolved waits until every alert named name that fired since t0 has
// a later "resolved" notification.
func (w *webhook) waitResolved(t *testing.T, timeout time.Duration, t0 time.Time, name string) {
	t.Helper()
	waitFor(t, timeout, "every "+name+" alert resolved at the webhook", func() string {
		var open []string
		for k, a := range latestByKey(w.since(t0)) {
			if a.Labels["alertname"] == name && a.Status != "resolved" {
				open = append(open, k)
			}
		}
		sort.Strings(open)
		if len(open) > 0 {
			return "still firing: " + strings.Join(open, ", ")
		}
		return ""
	})
}

func labelsMatch(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
