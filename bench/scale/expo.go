package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
)

// exposition is what one scrape's body held.
type exposition struct {
	samples   int // sample lines
	up, upOne int // redis_up samples, and those with value 1
	plain     int // bytes uncompressed
	wire      int // bytes as sent
}

// readExposition counts the samples of a text or OpenMetrics exposition,
// gunzipping it first when it was sent compressed. It streams: a 3,000-node
// exposition is tens of MB.
func readExposition(body []byte, gzipped bool) (exposition, error) {
	e := exposition{wire: len(body)}
	var r io.Reader = bytes.NewReader(body)
	if gzipped {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return e, fmt.Errorf("gzip: %w", err)
		}
		r = zr
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		e.plain += len(line)
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: count it once, skip the rest.
			for err == bufio.ErrBufferFull {
				var more []byte
				more, err = br.ReadSlice('\n')
				e.plain += len(more)
			}
			if err != nil && err != io.EOF {
				return e, err
			}
			e.samples++
			if err == io.EOF {
				return e, nil
			}
			continue
		}
		if len(line) > 0 {
			e.countLine(bytes.TrimRight(line, "\r\n"))
		}
		if e.plain > maxPlain {
			return e, fmt.Errorf("exposition over %d MB uncompressed", maxPlain>>20)
		}
		if err == io.EOF {
			return e, nil
		}
		if err != nil {
			return e, err
		}
	}
}

// maxPlain bounds what a (possibly compressed) body may expand to.
const maxPlain = 4 << 30

var upName = []byte("redis_up")

func (e *exposition) countLine(line []byte) {
	if len(line) == 0 || line[0] == '#' {
		return
	}
	e.samples++
	rest, ok := bytes.CutPrefix(line, upName)
	if !ok || len(rest) == 0 || (rest[0] != '{' && rest[0] != ' ') {
		return
	}
	e.up++
	// The value is the field after the labels; OpenMetrics may add a
	// timestamp after it.
	if i := bytes.LastIndexByte(rest, '}'); i >= 0 {
		rest = rest[i+1:]
	}
	f := bytes.Fields(rest)
	if len(f) >= 1 && (string(f[0]) == "1" || string(f[0]) == "1.0") {
		e.upOne++
	}
}
