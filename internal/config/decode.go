package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Bounds on what a configuration file may hold. A file is operator input,
// but it may be generated or templated; none of these limits is near what a
// real configuration needs.
const (
	maxConfigBytes = 1 << 20 // the whole file
	maxYAMLValues  = 100_000 // values visited, aliases expanded
	maxYAMLDepth   = 32      // nesting
	maxListItems   = 1_000   // items of one list
	maxStringBytes = 4_096   // one string value
)

// decodeStrict decodes one YAML document onto c (which holds the defaults).
//
// It checks the document against Config's shape before decoding, so that
// every problem is reported with its dotted field name and line, and so that
// no error message carries any part of a value: a secret typed into the
// wrong place (an inline password, a token under a misspelt key, a tag or an
// anchor) never reaches --config.check, a log line or the /-/reload
// response. yaml.v3's own messages quote up to ten characters of the value
// they could not decode, so they are never shown as they are.
func decodeStrict(data []byte, c *Config) error {
	if len(data) > maxConfigBytes {
		return fmt.Errorf("the file is %d bytes, more than the %d a configuration may have; check that --config.file names the exporter's configuration", len(data), maxConfigBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: the defaults
		}
		return syntaxError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return syntaxError(err)
	case len(next.Content) > 0 && next.Content[0].ShortTag() != "!!null":
		return &LineError{Line: next.Line, Msg: "a second YAML document starts here; the exporter reads exactly one document per file: merge the documents into one or remove the '---' separator"}
	}
	if len(doc.Content) == 0 {
		return nil
	}
	w := &walker{}
	w.walk("", doc.Content[0], reflect.TypeOf(Config{}), 0)
	if len(w.errs) > 0 {
		return errors.Join(w.errs...)
	}
	// The shape is right; decode for real, still rejecting unknown keys.
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return scrubYAMLError(err)
	}
	return nil
}

// syntaxError reports a YAML syntax error without any text of the file:
// yaml.v3 names anchors in quotes, and they are dropped.
func syntaxError(err error) error {
	return fmt.Errorf("%s; fix the YAML syntax there", scrubYAMLError(err))
}

var (
	quotedText  = regexp.MustCompile("(?s)`.*`|'[^']*'|\"[^\"]*\"")
	lineNumber  = regexp.MustCompile(`line \d+`)
	unmarshalAt = regexp.MustCompile(`(?s)^line (\d+): cannot unmarshal .* into (\S+)$`)
)

// scrubYAMLError keeps the line numbers and yaml.v3's fixed wording of an
// error and drops every quoted part (values, keys, tags, anchors). It is
// also used for exporter-toolkit's web configuration errors.
func scrubYAMLError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, 0, len(te.Errors))
		for _, m := range te.Errors {
			if sm := unmarshalAt.FindStringSubmatch(m); sm != nil {
				msgs = append(msgs, fmt.Sprintf("line %s: a value cannot be decoded as %s (the value is not shown)", sm[1], sm[2]))
				continue
			}
			if l := lineNumber.FindString(m); l != "" {
				msgs = append(msgs, l+": a key or value is not valid here (not shown)")
				continue
			}
			msgs = append(msgs, "a key or value is not valid (not shown)")
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = quotedText.ReplaceAllString(msg, "")
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 300 {
		msg = "the YAML cannot be parsed"
		if l := lineNumber.FindString(err.Error()); l != "" {
			msg = l + ": " + msg
		}
	}
	return errors.New(msg)
}

// walker checks a YAML node tree against a Go type the way yaml.v3 would
// decode it, and collects one error per problem. Errors name the dotted
// field and the line, never a value.
type walker struct {
	errs    []error
	visited int
	// stopped is set once the value budget is spent.
	stopped bool
	// aliasLine is the line of the alias being followed (0: none), so that
	// a problem in what it refers to is reported where it is used.
	aliasLine int
}

var (
	durationType     = reflect.TypeOf(time.Duration(0))
	secretSourceType = reflect.TypeOf(SecretSource{})
	alarmsType       = reflect.TypeOf(AlarmsConfig{})
)

func (w *walker) fail(path string, n *yaml.Node, problem, fix string) {
	if path == "" {
		path = "top level"
	}
	line := n.Line
	if w.aliasLine != 0 {
		line = w.aliasLine
	}
	w.errs = append(w.errs, &LineError{Line: line, Msg: fmt.Sprintf("%s: %s; %s", path, problem, fix)})
}

// LineError is a problem at one line of the configuration file. Its
// message never holds a value from the file.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// inFile prefixes every problem of err with path, compiler style
// (path:line: message), one per line.
func inFile(path string, err error) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		var le *LineError
		if errors.As(e, &le) {
			out = append(out, fmt.Errorf("%s:%d: %s", path, le.Line, le.Msg))
			continue
		}
		out = append(out, fmt.Errorf("%s: %w", path, e))
	}
	return errors.Join(out...)
}

func (w *walker) walk(path string, n *yaml.Node, t reflect.Type, depth int) {
	if w.stopped {
		return
	}
	w.visited++
	if w.visited > maxYAMLValues || depth > maxYAMLDepth {
		w.stopped = true
		w.fail(path, n, "the document is nested too deeply or its aliases expand to too many values", "write the configuration out plainly")
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			w.fail(path, n, "refers to an unknown anchor", "define the anchor (&name) before using it (*name)")
			return
		}
		if w.aliasLine == 0 {
			w.aliasLine = n.Line
			defer func() { w.aliasLine = 0 }()
		}
		w.walk(path, n.Alias, t, depth+1)
		return
	}
	if !w.tagAllowed(path, n) {
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // yaml.v3 leaves the default (or clears a list, map or pointer)
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == secretSourceType && n.Kind != yaml.MappingNode:
		w.fail(path, n, fmt.Sprintf("is %s; a secret is never written into the configuration (the value is not shown)", kindOf(n)),
			"put it in a file and write "+path+": {file: /path/to/file}, or in an environment variable and write "+path+": {env: VARIABLE}")
	case t == durationType:
		w.scalar(path, n, t, "is not a duration", "write it with a unit, e.g. 30s, 5m or 1h")
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.fail(path, n, fmt.Sprintf("is %s, not a mapping", kindOf(n)), "write its keys below it, indented, or as {key: value, ...}")
			return
		}
		w.mapping(path, n, t, depth, map[string]int{})
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.fail(path, n, fmt.Sprintf("is %s, not a mapping", kindOf(n)), "write its keys below it, indented, or as {key: value, ...}")
			return
		}
		w.mapping(path, n, t, depth, map[string]int{})
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.fail(path, n, fmt.Sprintf("is %s, not a list", kindOf(n)), "write it as [a, b] or one '- item' per line")
			return
		}
		if len(n.Content) > maxListItems {
			w.fail(path, n, fmt.Sprintf("has %d items, more than %d", len(n.Content), maxListItems), "shorten the list")
			return
		}
		for i, item := range n.Content {
			w.walk(fmt.Sprintf("%s[%d]", path, i), item, t.Elem(), depth+1)
		}
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			w.fail(path, n, fmt.Sprintf("is %s, not a single value", kindOf(n)), "write one value after the colon")
			return
		}
		if n.ShortTag() == "!!binary" {
			w.fail(path, n, "is a !!binary value", "write it as plain text")
			return
		}
		switch {
		case len(n.Value) > maxStringBytes:
			w.fail(path, n, fmt.Sprintf("is %d bytes long, more than %d (the value is not shown)", len(n.Value), maxStringBytes), "shorten it")
		case !utf8.ValidString(n.Value):
			w.fail(path, n, "is not valid UTF-8 (the value is not shown)", "write it as UTF-8 text")
		case strings.IndexFunc(n.Value, unicode.IsControl) >= 0:
			w.fail(path, n, "holds a line break or another control character (the value is not shown)", "write it on one line, without control characters")
		}
	case t.Kind() == reflect.Bool:
		w.scalar(path, n, t, "is not true or false", "write true or false")
	case t.Kind() == reflect.Int:
		if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!int" {
			w.fail(path, n, "is not a whole number (the value is not shown)", "write a whole number such as 4")
			return
		}
		w.scalar(path, n, t, "is not a whole number", "write a whole number such as 4")
	case t.Kind() == reflect.Float64:
		w.scalar(path, n, t, "is not a number", "write a number such as 80 or 0.5")
	default:
		w.fail(path, n, "cannot be set from a configuration file", "remove it")
	}
}

// scalar decodes one scalar into a fresh value of t with yaml.v3 itself,
// so that what passes here decodes later, and reports a failure in words.
func (w *walker) scalar(path string, n *yaml.Node, t reflect.Type, problem, fix string) {
	if n.Kind != yaml.ScalarNode {
		w.fail(path, n, fmt.Sprintf("is %s, not a single value", kindOf(n)), fix)
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		w.fail(path, n, problem+" (the value is not shown)", fix)
	}
}

// tagAllowed refuses explicit YAML tags other than the core ones: a custom
// tag is never meaningful here, and !!binary or !!timestamp would decode
// into something other than what is written.
func (w *walker) tagAllowed(path string, n *yaml.Node) bool {
	if n.Style&yaml.TaggedStyle == 0 {
		return true
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq":
		return true
	}
	w.fail(path, n, "carries a YAML tag that is not supported (not shown)", "remove the tag (the word starting with !)")
	return false
}

// mapping checks the keys and values of a mapping node against a struct
// (its yaml fields, and an inline map if it has one) or a map type.
// seen records the keys already given, by name, with their line.
func (w *walker) mapping(path string, n *yaml.Node, t reflect.Type, depth int, seen map[string]int) {
	fields := map[string]reflect.StructField{}
	var inline *reflect.StructField
	if t.Kind() == reflect.Struct {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if strings.Contains(opts, "inline") {
				inline = &f
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = f
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			w.merge(path, v, t, depth, seen)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.Style&yaml.TaggedStyle != 0 {
			w.fail(path, k, "has a key that is not a plain name (not shown)", "write keys as plain words")
			continue
		}
		sub := k.Value
		if path != "" {
			sub = path + "." + k.Value
		}
		var vt reflect.Type
		switch f, ok := fields[k.Value]; {
		case ok:
			vt = f.Type
		case t.Kind() == reflect.Map:
			vt = t.Elem()
		case inline != nil && t == alarmsType && isAlarmName(k.Value):
			vt = inline.Type.Elem()
		default:
			w.unknownKey(path, k, t, fields)
			continue
		}
		if line, dup := seen[k.Value]; dup {
			w.fail(safeKeyPath(path, k.Value, t), k, fmt.Sprintf("is given twice (first on line %d)", line), "keep one of them")
			continue
		}
		seen[k.Value] = k.Line
		if t.Kind() == reflect.Map {
			sub = safeKeyPath(path, k.Value, t)
		}
		w.walk(sub, v, vt, depth+1)
	}
}

// merge walks a YAML merge key (<<: *anchor) as if its keys were written in
// place; keys written explicitly win, as in yaml.v3.
func (w *walker) merge(path string, v *yaml.Node, t reflect.Type, depth int, seen map[string]int) {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	var maps []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		maps = []*yaml.Node{v}
	case yaml.SequenceNode:
		for _, m := range v.Content {
			if m.Kind == yaml.AliasNode && m.Alias != nil {
				m = m.Alias
			}
			maps = append(maps, m)
		}
	default:
		maps = []*yaml.Node{v}
	}
	for _, m := range maps {
		if m.Kind != yaml.MappingNode {
			w.fail(path, v, "merges (<<) something that is not a mapping", "merge only anchors of mappings")
			return
		}
		w.mapping(path, m, t, depth+1, copyLines(seen))
	}
}

func copyLines(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// unknownKey reports a key that is no field. The key is named only when it
// looks like a key and is not inside a secret's mapping: a token typed as
// "password: {s3cret}" is a flow mapping whose key is the token.
func (w *walker) unknownKey(path string, k *yaml.Node, t reflect.Type, fields map[string]reflect.StructField) {
	names := make([]string, 0, len(fields)+len(AlarmNames))
	for name := range fields {
		names = append(names, name)
	}
	if t == alarmsType {
		names = append(names, AlarmNames...)
	}
	sort.Strings(names)
	where := path
	if where == "" {
		where = "the top level"
	}
	fix := "remove it or correct its spelling; " + where + " takes " + strings.Join(names, ", ")
	if t != secretSourceType && looksLikeKey(k.Value) {
		w.fail(path, k, fmt.Sprintf("unknown key %q", k.Value), fix)
		return
	}
	w.fail(path, k, "unknown key (not shown: it does not look like a key name, or it is inside a secret's settings)", fix)
}

var keyPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,47}$`)

// looksLikeKey is true for names shaped like this file's keys (snake_case)
// and alarm names (CamelCase); anything else may be a value typed in the
// wrong place and is not printed.
func looksLikeKey(s string) bool { return keyPattern.MatchString(s) }

// safeKeyPath names a map entry by its key when the key looks like a key.
func safeKeyPath(path, key string, t reflect.Type) string {
	if t != secretSourceType && looksLikeKey(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + ".<key not shown>"
}

func isAlarmName(s string) bool {
	for _, n := range AlarmNames {
		if n == s {
			return true
		}
	}
	return false
}

// kindOf says what a node is, in words, without its value.
func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if strings.ContainsAny(n.Value, "\n\r") {
			return "a multi-line value"
		}
		return "a single value"
	}
	return "an unexpected YAML node"
}
