package doctor

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// Text from a node or an API reaches an output line only through clean
// (and noPermCommand): whatever the bytes, the result is one line of
// valid UTF-8 of bounded length, and a NOPERM reply names at most a
// well-formed command.
func FuzzHostileText(f *testing.F) {
	for _, s := range []string{"", "NOPERM this user has no permissions to run the 'slowlog|get' command", "a\r\nb\x00c", "\xff\xfe", strings.Repeat("x", 1000), "'\u2028'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := clean(s)
		if !utf8.ValidString(c) || utf8.RuneCountInString(c) > maxShown+1 {
			t.Fatalf("clean(%q) = %q: invalid or too long", s, c)
		}
		for _, r := range c {
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("clean(%q) = %q keeps %U", s, c, r)
			}
		}
		cmd := noPermCommand(s)
		if cmd != "a command" && strings.Trim(cmd, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ -") != "" {
			t.Fatalf("noPermCommand(%q) = %q", s, cmd)
		}
		r := authVerdict("t", true, false, redistest.ReplyError(s))
		if strings.ContainsAny(r.Detail+r.Fix, "\r\n") {
			t.Fatalf("auth verdict of %q spans lines: %q", s, r.Detail)
		}
		r = iamVerdict("x:Y", errors.New(s), "")
		if strings.ContainsAny(r.Detail, "\r\n") {
			t.Fatalf("iam verdict of %q spans lines: %q", s, r.Detail)
		}
	})
}
