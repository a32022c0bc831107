package state

import (
	"context"
	"fmt"
)

func openPostgres(ctx context.Context, dsn string) (Store, error) {
	return nil, fmt.Errorf("postgres: not yet")
}
