package redistest

import (
	"bytes"
	"fmt"
	"strconv"
)

// ReplyError is an error reply ("-ERR …") of a decoded RESP2 reply.
type ReplyError string

func (e ReplyError) Error() string { return string(e) }

// RedisError marks it as a reply from the server, as go-redis' own errors are.
func (ReplyError) RedisError() {}

// maxDepth bounds how deeply DecodeRESP2 follows nested arrays.
const maxDepth = 32

// DecodeRESP2 decodes one RESP2 reply captured byte for byte (a fixture)
// into the values go-redis hands to Cmd.Val() with protocol 2: string for
// simple and bulk strings, int64 for integers, []any for arrays, nil for
// null. A top-level error reply is returned as a ReplyError error; one
// inside an array is a ReplyError value. Bytes after the reply are an error.
func DecodeRESP2(b []byte) (any, error) {
	v, rest, err := decodeRESP2(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%d bytes after the reply", len(rest))
	}
	if e, ok := v.(ReplyError); ok {
		return nil, e
	}
	return v, nil
}

func decodeRESP2(b []byte, depth int) (any, []byte, error) {
	if depth > maxDepth {
		return nil, nil, fmt.Errorf("arrays nested deeper than %d", maxDepth)
	}
	line, rest, ok := bytes.Cut(b, []byte("\r\n"))
	if !ok || len(line) == 0 {
		return nil, nil, fmt.Errorf("no CRLF-terminated reply line")
	}
	kind, body := line[0], string(line[1:])
	switch kind {
	case '+':
		return body, rest, nil
	case '-':
		return ReplyError(body), rest, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("integer %q: %v", body, err)
		}
		return n, rest, nil
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 {
			return nil, nil, fmt.Errorf("bulk length %q", body)
		}
		if n == -1 {
			return nil, rest, nil
		}
		if len(rest) < n+2 || string(rest[n:n+2]) != "\r\n" {
			return nil, nil, fmt.Errorf("bulk string of %d bytes is cut short", n)
		}
		return string(rest[:n]), rest[n+2:], nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > len(rest) {
			return nil, nil, fmt.Errorf("array length %q", body)
		}
		if n == -1 {
			return nil, rest, nil
		}
		out := make([]any, 0, n)
		for range n {
			var v any
			if v, rest, err = decodeRESP2(rest, depth+1); err != nil {
				return nil, nil, err
			}
			out = append(out, v)
		}
		return out, rest, nil
	}
	return nil, nil, fmt.Errorf("unknown reply type %q", kind)
}
