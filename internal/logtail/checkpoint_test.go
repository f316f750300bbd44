package logtail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	st, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	st.Logs[LogSlow] = &checkpoint{Group: "g", NewestMs: 100, Seen: map[string]int64{"s\x00e1": 100}}
	if err := st.save(path); err != nil {
		t.Fatal(err)
	}
	back, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := back.Logs[LogSlow]
	if cp.take("s\x00e1", 100, 0) || !cp.take("s\x00e2", 100, 0) || cp.take("s\x00old", 99, 0) {
		t.Error("checkpoint after reload does not skip what was seen")
	}
	if err := os.WriteFile(path, []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadState(path); err == nil || !strings.Contains(err.Error(), "logs.state_file") || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("corrupt state file error = %v, want one naming logs.state_file and the fix", err)
	}
}
