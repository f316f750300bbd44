package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error bodies never echo more than a short, quoted prefix of what a
// client sent, and never more than a bounded message: a 1 MB target must
// not come back as a 1 MB body, and invalid UTF-8 must not reach a
// browser or a log pipeline that expects text.
const (
	// maxEchoBytes is how much of one input an error body repeats.
	maxEchoBytes = 128
	// maxErrorBytes bounds a whole error body (reload and rules errors
	// carry messages built from configuration files).
	maxErrorBytes = 2 << 10
)

// quoteInput is s as a Go-quoted string (invalid UTF-8 and control bytes
// as escapes) of at most maxEchoBytes of its bytes, cut at a character
// boundary and followed by "…" when cut.
func quoteInput(s string) string {
	if len(s) <= maxEchoBytes {
		return strconv.Quote(s)
	}
	cut := maxEchoBytes
	for cut > maxEchoBytes-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// boundedMessage makes msg valid UTF-8 and at most maxErrorBytes long.
func boundedMessage(msg string) string {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	if len(msg) <= maxErrorBytes {
		return msg
	}
	cut := maxErrorBytes
	for cut > maxErrorBytes-utf8.UTFMax && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

// clientError answers with status and msg, bounded; user input inside msg
// must already be quoted with quoteInput.
func clientError(w http.ResponseWriter, status int, msg string) {
	http.Error(w, boundedMessage(msg), status)
}
