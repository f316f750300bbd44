package provision

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// moduleOnly are the Terraform module's variables the spec does not take,
// each with the reason. Anything else in variables.tf needs a Spec field of
// the same name.
var moduleOnly = map[string]string{}

// Every variable of provision/terraform/variables.tf is a Spec key with the
// same name (or is listed in moduleOnly), and the spec has no key the module
// lacks: a spec and a tfvars file carry over both ways.
func TestSpecHasEveryModuleVariable(t *testing.T) {
	b, err := os.ReadFile("terraform/variables.tf")
	if err != nil {
		t.Fatal(err)
	}
	module := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^variable "([a-z0-9_]+)" \{`).FindAllStringSubmatch(string(b), -1) {
		module[m[1]] = true
	}
	if len(module) < 40 {
		t.Fatalf("found %d variables in variables.tf; the pattern no longer matches the file", len(module))
	}
	spec := map[string]bool{}
	st := reflect.TypeOf(Spec{})
	for i := 0; i < st.NumField(); i++ {
		if tag, _, _ := strings.Cut(st.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
			spec[tag] = true
		}
	}
	var missing, extra, stale []string
	for v := range module {
		if !spec[v] && moduleOnly[v] == "" {
			missing = append(missing, v)
		}
		if spec[v] && moduleOnly[v] != "" {
			stale = append(stale, v)
		}
	}
	for k := range spec {
		if !module[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("module variables without a Spec field (add one with the same yaml name, or list it in moduleOnly with the reason): %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("Spec keys the module does not have: %v", extra)
	}
	if len(stale) > 0 {
		t.Errorf("listed in moduleOnly but the Spec has them: %v", stale)
	}
}
