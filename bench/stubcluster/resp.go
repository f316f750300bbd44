package stubcluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Bounds on what a client may send: the stub reads commands from whatever
// connects to its ports, so a request is hostile until parsed.
const (
	maxArgs      = 1024    // arguments in one command
	maxBulkLen   = 1 << 20 // bytes in one argument
	maxInlineLen = 64 << 10
	maxDepth     = 16 // nesting of a reply parsed by ParseReply
	maxElements  = 1 << 20
)

var errProtocol = errors.New("protocol error")

// readCommand reads one command, either a RESP array of bulk strings (what
// every client library sends) or an inline command line (telnet). It
// returns the arguments; an empty command (a blank inline line) is a nil
// slice with a nil error.
func readCommand(r *bufio.Reader) ([][]byte, error) {
	line, err := readLine(r, maxInlineLen)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 || line[0] != '*' {
		return bytes.Fields(line), nil
	}
	n, err := strconv.Atoi(string(line[1:]))
	if err != nil || n > maxArgs {
		return nil, fmt.Errorf("%w: array length %q", errProtocol, truncate(string(line[1:]), 20))
	}
	if n <= 0 {
		return nil, nil
	}
	args := make([][]byte, n)
	for i := range args {
		head, err := readLine(r, 32)
		if err != nil {
			return nil, err
		}
		if len(head) == 0 || head[0] != '$' {
			return nil, fmt.Errorf("%w: expected '$', got %q", errProtocol, truncate(string(head), 20))
		}
		size, err := strconv.Atoi(string(head[1:]))
		if err != nil || size < 0 || size > maxBulkLen {
			return nil, fmt.Errorf("%w: bulk length %q", errProtocol, truncate(string(head[1:]), 20))
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		if buf[size] != '\r' || buf[size+1] != '\n' {
			return nil, fmt.Errorf("%w: bulk string not terminated by CRLF", errProtocol)
		}
		args[i] = buf[:size]
	}
	return args, nil
}

// readLine reads up to CRLF (or LF) and returns the line without it,
// refusing lines longer than limit.
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > limit+2 {
			return nil, fmt.Errorf("%w: line longer than %d bytes", errProtocol, limit)
		}
		line = append(line, chunk...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), nil
}

// Reply writers: each appends one RESP2 value to b.

func appendSimple(b []byte, s string) []byte {
	b = append(b, '+')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// appendError writes an error reply; CR and LF in msg (which may echo a
// client's argument) become spaces so the reply stays one line.
func appendError(b []byte, msg string) []byte {
	b = append(b, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return append(b, '\r', '\n')
}

func appendInt(b []byte, n int64) []byte {
	b = append(b, ':')
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\r', '\n')
}

func appendBulk(b []byte, s string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

func appendBulkBytes(b, s []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

func appendNullBulk(b []byte) []byte { return append(b, "$-1\r\n"...) }

func appendArray(b []byte, n int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

// Value is one parsed RESP2 reply, for reading captured replies and for
// tests. Kind is the type byte: '+' simple string, '-' error, ':' integer,
// '$' bulk string, '*' array. Null is a null bulk string or array.
type Value struct {
	Kind  byte
	Str   string
	Int   int64
	Array []Value
	Null  bool
}

// ParseReply reads one RESP2 reply, bounded in depth and size.
func ParseReply(r *bufio.Reader) (Value, error) { return parseReply(r, 0) }

func parseReply(r *bufio.Reader, depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, fmt.Errorf("%w: reply nested deeper than %d", errProtocol, maxDepth)
	}
	line, err := readLine(r, maxInlineLen)
	if err != nil {
		return Value{}, err
	}
	if len(line) == 0 {
		return Value{}, fmt.Errorf("%w: empty reply line", errProtocol)
	}
	v := Value{Kind: line[0]}
	rest := string(line[1:])
	switch v.Kind {
	case '+', '-':
		v.Str = rest
	case ':':
		if v.Int, err = strconv.ParseInt(rest, 10, 64); err != nil {
			return Value{}, fmt.Errorf("%w: integer %q", errProtocol, truncate(rest, 20))
		}
	case '$':
		n, err := strconv.Atoi(rest)
		if err != nil || n < -1 || n > maxBulkLen*16 {
			return Value{}, fmt.Errorf("%w: bulk length %q", errProtocol, truncate(rest, 20))
		}
		if n == -1 {
			v.Null = true
			return v, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return Value{}, err
		}
		v.Str = string(buf[:n])
	case '*':
		n, err := strconv.Atoi(rest)
		if err != nil || n < -1 || n > maxElements {
			return Value{}, fmt.Errorf("%w: array length %q", errProtocol, truncate(rest, 20))
		}
		if n == -1 {
			v.Null = true
			return v, nil
		}
		v.Array = make([]Value, 0, min(n, 1024))
		for range n {
			e, err := parseReply(r, depth+1)
			if err != nil {
				return Value{}, err
			}
			v.Array = append(v.Array, e)
		}
	default:
		return Value{}, fmt.Errorf("%w: unknown reply type %q", errProtocol, v.Kind)
	}
	return v, nil
}

// appendValue writes v back in RESP2.
func appendValue(b []byte, v Value) []byte {
	switch v.Kind {
	case '+':
		return appendSimple(b, v.Str)
	case '-':
		return appendError(b, v.Str)
	case ':':
		return appendInt(b, v.Int)
	case '$':
		if v.Null {
			return appendNullBulk(b)
		}
		return appendBulk(b, v.Str)
	case '*':
		if v.Null {
			return append(b, "*-1\r\n"...)
		}
		b = appendArray(b, len(v.Array))
		for _, e := range v.Array {
			b = appendValue(b, e)
		}
	}
	return b
}

// Field returns the value following the bulk or simple string key in a
// flat key/value array (RESP2's rendering of a map), and whether it is there.
func (v Value) Field(key string) (Value, bool) {
	for i := 0; i+1 < len(v.Array); i += 2 {
		if k := v.Array[i]; (k.Kind == '$' || k.Kind == '+') && k.Str == key {
			return v.Array[i+1], true
		}
	}
	return Value{}, false
}

// Shape describes v's structure without its values: types, array lengths
// and the keys of flat maps, for comparing the stub's replies with replies
// captured from Redis.
func (v Value) Shape() string {
	var b bytes.Buffer
	v.shape(&b)
	return b.String()
}

func (v Value) shape(b *bytes.Buffer) {
	b.WriteByte(v.Kind)
	if v.Kind != '*' || v.Null {
		return
	}
	b.WriteByte('[')
	for i, e := range v.Array {
		if i > 0 {
			b.WriteByte(' ')
		}
		e.shape(b)
		// A bulk string at an even index of an even-length array is
		// likely a map key: keep it so key order is compared too.
		if len(v.Array)%2 == 0 && i%2 == 0 && e.Kind == '$' && isKeyLike(e.Str) {
			b.WriteString("=" + e.Str)
		}
	}
	b.WriteByte(']')
}

func isKeyLike(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
