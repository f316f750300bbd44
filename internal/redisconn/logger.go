package redisconn

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// RouteLibraryLogs sends go-redis' own log lines (dial retries of a dead
// node, pool warnings) to logger at debug level instead of stderr: a dead
// node is already reported as redis_up 0 and logged once by the collector,
// and these lines would repeat it on every scrape.
func RouteLibraryLogs(logger *slog.Logger) {
	redis.SetLogger(libraryLogger{logger.With("component", "go-redis")})
}

type libraryLogger struct{ l *slog.Logger }

func (g libraryLogger) Printf(ctx context.Context, format string, v ...any) {
	g.l.DebugContext(ctx, fmt.Sprintf(format, v...))
}
