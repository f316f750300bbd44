package logtail

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkpoint is where the tail of one log group stands.
//
// NewestMs is the newest event timestamp consumed (or, before any event,
// when the tail started). Seen holds the events already consumed whose
// timestamp lies in the lookback window [NewestMs-lookback, NewestMs], keyed
// by stream and event id. The next poll asks from NewestMs-lookback and
// skips what Seen holds: nothing counted twice, and with lookback 0 this is
// exactly "last timestamp plus the ids seen at it".
type checkpoint struct {
	Group         string           `json:"group"`
	NewestMs      int64            `json:"newest_ms"`
	NewestEventMs int64            `json:"newest_event_ms,omitempty"`
	Seen          map[string]int64 `json:"seen"`
}

// take reports whether an event is new and, if so, records it.
func (c *checkpoint) take(key string, tsMs, lookbackMs int64) bool {
	if tsMs < c.NewestMs-lookbackMs {
		return false // before the window: consumed by an earlier poll
	}
	if _, ok := c.Seen[key]; ok {
		return false
	}
	c.Seen[key] = tsMs
	c.NewestMs = max(c.NewestMs, tsMs)
	c.NewestEventMs = max(c.NewestEventMs, tsMs)
	return true
}

// prune forgets events that fell out of the window.
func (c *checkpoint) prune(lookbackMs int64) {
	for k, ts := range c.Seen {
		if ts < c.NewestMs-lookbackMs {
			delete(c.Seen, k)
		}
	}
}

// tailState is the state file: one checkpoint per log type.
type tailState struct {
	Version int                    `json:"version"`
	Logs    map[string]*checkpoint `json:"logs"`
}

const stateVersion = 1

// loadState reads the state file; a missing file is an empty state.
func loadState(path string) (*tailState, error) {
	st := &tailState{Version: stateVersion, Logs: map[string]*checkpoint{}}
	if path == "" {
		return st, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("logs.state_file %s: %w", path, err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("logs.state_file %s is not a tail checkpoint (%v); fix or delete it (the tail then starts at now minus logs.lookback)", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("logs.state_file %s has version %d, this exporter writes %d; delete it to start over", path, st.Version, stateVersion)
	}
	if st.Logs == nil {
		st.Logs = map[string]*checkpoint{}
	}
	for _, c := range st.Logs {
		if c.Seen == nil {
			c.Seen = map[string]int64{}
		}
	}
	return st, nil
}

// save writes the state atomically: a crash leaves the old or the new file,
// never half of one.
func (st *tailState) save(path string) error {
	if path == "" {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode tail checkpoint: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("logs.state_file %s: %w; make its directory writable", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("logs.state_file %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("logs.state_file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("logs.state_file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("logs.state_file %s: %w", path, err)
	}
	return nil
}
