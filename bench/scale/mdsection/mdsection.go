// Package mdsection replaces generated blocks of a Markdown file, each
// between "<!-- NAME:begin -->" and "<!-- NAME:end -->", so several tools
// can write their own part of one report (BENCHMARKS.md) and rerun without
// touching the others' parts.
package mdsection

import (
	"fmt"
	"strings"
)

func begin(name string) string { return "<!-- " + name + ":begin -->" }
func end(name string) string   { return "<!-- " + name + ":end -->" }

// Replace returns doc with the block named name replaced by body (the
// markers are kept around it), or with the block appended when doc has
// none. A begin marker without its end is an error: writing would lose
// what follows it.
func Replace(doc, name, body string) (string, error) {
	block := begin(name) + "\n" + strings.TrimRight(body, "\n") + "\n" + end(name) + "\n"
	i := strings.Index(doc, begin(name))
	if i < 0 {
		if doc != "" && !strings.HasSuffix(doc, "\n\n") {
			doc = strings.TrimRight(doc, "\n") + "\n\n"
		}
		return doc + block, nil
	}
	j := strings.Index(doc[i:], end(name))
	if j < 0 {
		return "", fmt.Errorf("%s without %s", begin(name), end(name))
	}
	rest := doc[i+j+len(end(name)):]
	rest = strings.TrimPrefix(rest, "\n")
	return doc[:i] + block + rest, nil
}

// Block is one generated block: its name and its text, markers included.
type Block struct {
	Name, Text string
}

// Blocks lists doc's complete blocks in order.
func Blocks(doc string) []Block {
	var out []Block
	for {
		i := strings.Index(doc, "<!-- ")
		if i < 0 {
			return out
		}
		doc = doc[i:]
		name, ok := strings.CutPrefix(doc, "<!-- ")
		if !ok {
			return out
		}
		name, _, ok = strings.Cut(name, ":begin -->")
		if !ok || strings.ContainsAny(name, " \n") {
			doc = doc[len("<!-- "):]
			continue
		}
		j := strings.Index(doc, end(name))
		if j < 0 {
			return out
		}
		text := doc[:j+len(end(name))]
		out = append(out, Block{Name: name, Text: text + "\n"})
		doc = doc[j+len(end(name)):]
	}
}

// Carry returns fresh with every block of old that fresh lacks appended,
// for a tool that rewrites the whole file but must keep the blocks other
// tools wrote into it.
func Carry(old, fresh string) string {
	have := map[string]bool{}
	for _, b := range Blocks(fresh) {
		have[b.Name] = true
	}
	for _, b := range Blocks(old) {
		if have[b.Name] {
			continue
		}
		fresh = strings.TrimRight(fresh, "\n") + "\n\n" + b.Text
		have[b.Name] = true
	}
	return fresh
}
