package mdsection

import "testing"

func TestReplace(t *testing.T) {
	tests := []struct{ name, doc, body, want string }{
		{"append to a file without the block", "# Benchmarks\n\ntext\n", "## Scale\n", "# Benchmarks\n\ntext\n\n<!-- scale:begin -->\n## Scale\n<!-- scale:end -->\n"},
		{"empty file", "", "x", "<!-- scale:begin -->\nx\n<!-- scale:end -->\n"},
		{"replace in place, keep what is around",
			"a\n<!-- scale:begin -->\nold\nolder\n<!-- scale:end -->\nb\n<!-- image:begin -->\ni\n<!-- image:end -->\n",
			"new\n\n",
			"a\n<!-- scale:begin -->\nnew\n<!-- scale:end -->\nb\n<!-- image:begin -->\ni\n<!-- image:end -->\n"},
	}
	for _, tt := range tests {
		got, err := Replace(tt.doc, "scale", tt.body)
		if err != nil || got != tt.want {
			t.Errorf("%s:\n got %q, %v\nwant %q", tt.name, got, err, tt.want)
		}
		// Idempotent: a rerun with the same body changes nothing.
		if again, _ := Replace(got, "scale", tt.body); again != got {
			t.Errorf("%s: second Replace changed the document:\n%q", tt.name, again)
		}
	}
	if _, err := Replace("a\n<!-- scale:begin -->\nno end\n", "scale", "x"); err == nil {
		t.Error("begin without end: no error")
	}
}

func TestCarry(t *testing.T) {
	old := "# old report\n<!-- scale:begin -->\nS\n<!-- scale:end -->\n\n<!-- image:begin -->\nI\n<!-- image:end -->\n<!-- broken:begin -->\n"
	fresh := "# new report\n\n<!-- image:begin -->\nI2\n<!-- image:end -->\n"
	want := "# new report\n\n<!-- image:begin -->\nI2\n<!-- image:end -->\n\n<!-- scale:begin -->\nS\n<!-- scale:end -->\n"
	if got := Carry(old, fresh); got != want {
		t.Errorf("Carry:\n got %q\nwant %q", got, want)
	}
	if got := Carry("", "x\n"); got != "x\n" {
		t.Errorf("Carry from an empty file: %q", got)
	}
}
