package state

import (
	"context"
	"fmt"
)

// Open opens the store the config names and brings its schema up to date. driver is "sqlite"
// (also the default, "") with dsn a file path, or "postgres" with dsn a PostgreSQL URL.
func Open(ctx context.Context, driver, dsn string) (Store, error) {
	switch driver {
	case "", "sqlite":
		return openSQLite(ctx, dsn)
	case "postgres":
		return openPostgres(ctx, dsn)
	}
	return nil, fmt.Errorf("unsupported state.driver %q", driver)
}
