package collect

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLabelValue(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "ERR", "ERR"},
		{"empty", "", ""},
		{"invalid bytes (one replacement per run)", "\xff\xfeBAD", "\uFFFDBAD"},
		{"exactly the bound", strings.Repeat("a", MaxLabelBytes), strings.Repeat("a", MaxLabelBytes)},
		{"too long ascii", strings.Repeat("a", MaxLabelBytes+1), strings.Repeat("a", MaxLabelBytes-3) + "…"},
		{"too long multibyte cut at a rune", long, strings.Repeat("é", 62) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := LabelValue(tc.in)
			if got != tc.want {
				t.Fatalf("LabelValue(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !utf8.ValidString(got) || len(got) > MaxLabelBytes {
				t.Fatalf("LabelValue(%q) = %q: invalid or longer than %d bytes", tc.in, got, MaxLabelBytes)
			}
		})
	}
}

func FuzzLabelValue(f *testing.F) {
	f.Add("ERR")
	f.Add("\xff\xfe")
	f.Add(strings.Repeat("\xe2\x82", 90))
	f.Fuzz(func(t *testing.T, s string) {
		got := LabelValue(s)
		if !utf8.ValidString(got) || len(got) > MaxLabelBytes {
			t.Fatalf("LabelValue(%q) = %q", s, got)
		}
	})
}
