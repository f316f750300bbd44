package collect

import (
	"strings"
	"unicode/utf8"
)

// MaxLabelBytes bounds every label value that comes from a node (command
// names, error prefixes, database names, versions): Redis lets any client
// create an error code or a command name of any length and any bytes.
const MaxLabelBytes = 128

// LabelValue makes a value read from Redis safe as a label value: valid
// UTF-8 (invalid bytes become U+FFFD) and at most MaxLabelBytes long, cut
// at a rune boundary with a trailing "…" so a cut value is recognisable.
func LabelValue(s string) string {
	if len(s) <= MaxLabelBytes && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= MaxLabelBytes {
		return s
	}
	const ellipsis = "…"
	cut := MaxLabelBytes - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
