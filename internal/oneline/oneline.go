// Package oneline makes hostile text (a Redis error reply, a message or
// value read back from AWS) safe to print on one line of a terminal
// report: doctor's check lines and the provisioning plan.
package oneline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean drops invalid UTF-8, turns control characters and the Unicode
// line and paragraph separators into spaces (a newline would forge a line
// of the report, an escape would drive the terminal), and cuts the text
// at maxRunes runes, marking the cut with "…".
func Clean(s string, maxRunes int) string {
	var b strings.Builder
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r == utf8.RuneError && size <= 1 {
			continue
		}
		if n == maxRunes {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
