package redistest

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// probe connects once, authenticates, PINGs and returns the process_id
// from INFO server. It speaks RESP by hand rather than through go-redis so
// that each readiness attempt is exactly one fresh connection, with no pool
// backing off after failed dials and with the server's own error text.
func probe(addr, password string, files *TLSFiles, timeout time.Duration) (pid int, err error) {
	dialer := &net.Dialer{Timeout: timeout}
	var conn net.Conn
	if files != nil {
		conn, err = tls.DialWithDialer(dialer, "tcp", addr, files.ClientConfig())
	} else {
		conn, err = dialer.Dial("tcp", addr)
	}
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	r := bufio.NewReader(conn)

	if password != "" {
		// The password never appears in the returned error: only the reply.
		if _, err := roundTrip(conn, r, "AUTH", password); err != nil {
			return 0, fmt.Errorf("AUTH: %w", err)
		}
	}
	if reply, err := roundTrip(conn, r, "PING"); err != nil || reply != "PONG" {
		return 0, fmt.Errorf("PING: reply %q, error %v", reply, err)
	}
	info, err := roundTrip(conn, r, "INFO", "server")
	if err != nil {
		return 0, fmt.Errorf("INFO server: %w", err)
	}
	pid, err = strconv.Atoi(parseInfo(info)["process_id"])
	if err != nil {
		return 0, fmt.Errorf("INFO server has no process_id: %w", err)
	}
	return pid, nil
}

// roundTrip sends one command and reads a simple-string, error or bulk
// reply, which is all probe needs.
func roundTrip(w io.Writer, r *bufio.Reader, args ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("server error: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("bad bulk length %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	default:
		return "", fmt.Errorf("unexpected reply %q", line)
	}
}
