-- PruneOutbox deletes delivered and parked rows by age; this index lets it find them without
-- walking the outbox. Pending rows, the hot part of the table, are left out of it.

-- +goose Up
CREATE INDEX outbox_done_created ON outbox (created_at) WHERE status <> 'pending';

-- +goose Down
DROP INDEX outbox_done_created;
