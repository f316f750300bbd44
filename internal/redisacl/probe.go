package redisacl

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Missing asks a node, as the client's user, for each of Commands and
// returns the ones the user may not run (a NOPERM reply), in Commands'
// order: what `exporter doctor` reports as the rules to add. Every probe
// only reads (INFO server, SLOWLOG LEN, SLOWLOG GET 0, ...); CLIENT SETNAME
// sets clientName, the name the connection already has, and is skipped
// when it is empty (go-redis then never sends it). Other error replies
// (cluster support disabled, an unknown command on an old engine) are not
// permission problems and count as allowed. A connection error or a failed
// login (WRONGPASS, NOAUTH) ends the probe with an error.
func Missing(ctx context.Context, c *redis.Client, clientName string) ([]string, error) {
	var missing []string
	for _, cmd := range Commands {
		args := probeArgs(cmd.ACL, clientName)
		if args == nil {
			continue
		}
		err := c.Do(ctx, args...).Err()
		switch {
		case err == nil, errors.Is(err, redis.Nil):
		case isNoPerm(err):
			missing = append(missing, cmd.ACL)
		case isRedisError(err) && !isAuthError(err):
			// Refused for another reason than the ACL: allowed.
		default:
			return missing, fmt.Errorf("probe %s: %w", strings.ToUpper(strings.ReplaceAll(cmd.ACL, "|", " ")), err)
		}
	}
	return missing, nil
}

// probeArgs is a harmless call of the command named by an ACL name.
func probeArgs(acl, clientName string) []any {
	switch acl {
	case "info":
		return []any{"INFO", "server"}
	case "slowlog|get":
		return []any{"SLOWLOG", "GET", 0}
	case "client|setname":
		if clientName == "" {
			return nil
		}
		return []any{"CLIENT", "SETNAME", clientName}
	}
	var args []any
	for _, w := range strings.Split(acl, "|") {
		args = append(args, strings.ToUpper(w))
	}
	return args
}

func isNoPerm(err error) bool {
	return isRedisError(err) && strings.HasPrefix(err.Error(), "NOPERM")
}

// isAuthError is a failed login (wrong password, disabled user): nothing
// can be probed.
func isAuthError(err error) bool {
	return strings.HasPrefix(err.Error(), "WRONGPASS") || strings.HasPrefix(err.Error(), "NOAUTH")
}

// isRedisError tells an error reply from a connection failure.
func isRedisError(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}
