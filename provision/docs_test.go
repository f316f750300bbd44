package provision

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The spec blocks of docs/provision.md use only keys the spec knows (the
// exporter's docs test leaves blocks with project_name to this package).
func TestDocsSpecBlocksParse(t *testing.T) {
	b, err := os.ReadFile("../docs/provision.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if !strings.Contains(m[1], "project_name:") {
			continue
		}
		n++
		if _, err := ParseSpec([]byte(m[1])); err != nil {
			t.Errorf("docs/provision.md spec block %d: %v\n%s", n, err, m[1])
		}
	}
	if n < 2 {
		t.Errorf("found %d spec blocks in docs/provision.md, want at least 2", n)
	}
}
