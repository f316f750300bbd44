package redistest

import (
	"errors"
	"fmt"
	"net"
	"sync"
)

// clusterBusOffset is how far above the client port Redis puts the cluster
// bus by default; the bus port must be free too.
const clusterBusOffset = 10000

// maxPort keeps port+clusterBusOffset a valid port.
const maxPort = 65535 - clusterBusOffset

// handedOut remembers every port (and bus port) this process has given to a
// server: the kernel may return a just-closed port again from bind(:0)
// before the first redis-server got to bind it, and servers of one cluster
// start concurrently.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// freePort finds a port that is free on 127.0.0.1 now, together with its
// cluster bus port. Another process can still take it before redis-server
// binds it; start retries with a new port when that happens.
func freePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		ok := port < maxPort && !handedOut.ports[port] && !handedOut.ports[port+clusterBusOffset]
		if ok {
			bus, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+clusterBusOffset))
			if err != nil {
				ok = false
			} else {
				bus.Close()
			}
		}
		l.Close()
		if ok {
			handedOut.ports[port] = true
			handedOut.ports[port+clusterBusOffset] = true
			return port, nil
		}
	}
	return 0, errors.New("find a free port on 127.0.0.1: no port below 55535 with a free port+10000 after 100 tries")
}
