package state

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// migrations holds one folder of goose SQL migrations per dialect.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// migrate applies the dialect's pending migrations with a goose Provider (no goose globals).
func migrate(ctx context.Context, db *sql.DB, dialect goose.Dialect, dir string, opts ...goose.ProviderOption) error {
	fsys, err := fs.Sub(migrations, "migrations/"+dir)
	if err != nil {
		return fmt.Errorf("load %s migrations: %w", dir, err)
	}
	// Each line of work has its own range of versions (matrix 00010–00019, delivery 00020–00029,
	// …), so a database may already hold a higher version than a newly added one.
	opts = append([]goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true)}, opts...)
	p, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	// Two processes starting together may both see a migration as pending; the loser's
	// transaction fails once the winner has committed, and a second pass finds nothing to do.
	if _, err = p.Up(ctx); err != nil {
		if _, err2 := p.Up(ctx); err2 != nil {
			return fmt.Errorf("run migrations: %w", err)
		}
	}
	return nil
}
