package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// yamlBlock is one ```yaml block of a document.
type yamlBlock struct {
	doc  string
	line int
	text string
}

var fence = regexp.MustCompile("(?ms)^```yaml\n(.*?)^```")

func docYAMLBlocks(t *testing.T) []yamlBlock {
	t.Helper()
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	var out []yamlBlock
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range fence.FindAllSubmatchIndex(b, -1) {
			out = append(out, yamlBlock{doc: filepath.Base(doc), line: strings.Count(string(b[:m[0]]), "\n") + 1, text: string(b[m[2]:m[3]])})
		}
	}
	return out
}

// configKeys are the top-level keys of the exporter's configuration.
func configKeys() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeOf(config.Config{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		keys[name] = true
	}
	return keys
}

// Every configuration shown in docs/ passes --config.check of the real
// binary. Paths under /etc/elasticache-exporter/ point into a temporary
// directory holding the files they name; a block that names no target
// (a fragment about one section) is checked with the group adopted, as its
// text says to run it.
func TestDocsConfigurationsPassConfigCheck(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "auth"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "auth", "token"), []byte("a-long-enough-auth-token-1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile("../../provision/testdata/valid-cluster-disabled.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "spec.yml"), spec, 0o600); err != nil {
		t.Fatal(err)
	}
	keys := configKeys()
	checked := 0
	for _, b := range docYAMLBlocks(t) {
		name := fmt.Sprintf("%s:%d", b.doc, b.line)
		var top map[string]any
		if err := yaml.Unmarshal([]byte(b.text), &top); err != nil {
			t.Errorf("%s: the YAML does not parse: %v", name, err)
			continue
		}
		exporter, spec := true, false
		for k := range top {
			exporter = exporter && keys[k]
			spec = spec || k == "project_name"
		}
		switch {
		case spec:
			continue // a provision spec, checked by the provision package
		case !exporter:
			t.Errorf("%s: a YAML block that is neither an exporter configuration nor a provision spec; teach this test what it is", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.NewReplacer(".md:", "-", ".", "-").Replace(name)+".yml")
			text := strings.ReplaceAll(b.text, "/etc/elasticache-exporter/", dir+"/")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"--config.check", "--config.file", path}
			redis, _ := top["redis"].(map[string]any)
			_, addrs := redis["addrs"]
			_, group := top["elasticache"]
			_, prov := top["provision"]
			if !addrs && !group && !prov {
				args = append(args, "--elasticache.replication-group-id", "kafka-platform-prod")
			}
			r := runBinary(t, 30*time.Second, []string{"REDIS_AUTH_TOKEN=a-long-enough-auth-token-1234"}, args...)
			if r.code != 0 || r.stdout != "configuration is valid\n" {
				t.Errorf("exporter %s: exit %d\n%s%s\nthe block:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr, b.text)
			}
		})
		checked++
	}
	if checked < 3 {
		t.Errorf("checked %d configuration blocks; docs/configuration.md, cloudwatch.md and provision.md hold at least 3", checked)
	}
}
