package oneline

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, c := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "ERR unknown command", 300, "ERR unknown command"},
		{"newline forges no line", "ok\nPASS forged", 300, "ok PASS forged"},
		{"terminal escape", "a\x1b[2Jb", 300, "a [2Jb"},
		{"line separators", "a\u2028b\u2029c", 300, "a b c"},
		{"invalid UTF-8 dropped", "a\xff\xfeb", 300, "ab"},
		{"cut at max runes", "héllo wörld", 5, "héllo…"},
		{"exactly max", "abc", 3, "abc"},
		{"empty", "", 3, ""},
	} {
		if got := Clean(c.in, c.max); got != c.want {
			t.Errorf("%s: Clean(%q, %d) = %q, want %q", c.name, c.in, c.max, got, c.want)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "a\nb", "\xff", "ééé", "\u2028"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 0 || limit > 1000 {
			return
		}
		got := Clean(s, limit)
		if !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q: not UTF-8", s, got)
		}
		if strings.ContainsAny(got, "\n\r\x1b\u2028\u2029") {
			t.Fatalf("Clean(%q) = %q: still breaks the line", s, got)
		}
		if n := utf8.RuneCountInString(strings.TrimSuffix(got, "…")); n > limit {
			t.Fatalf("Clean(%q, %d) = %q: %d runes", s, limit, got, n)
		}
	})
}
