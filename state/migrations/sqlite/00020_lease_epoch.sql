-- The lease that fences every write a leader makes (DESIGN §9): each process that takes the lead
-- bumps the epoch, and every outbox and cursor write checks, in its own transaction, that the
-- epoch is still the one its lead got. An outbox row is claimed by the epoch that sends it, so a
-- new leader leaves alone the rows an old one may still be sending.

-- +goose Up
CREATE TABLE lease (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL
);
INSERT INTO lease (id, epoch) VALUES (1, 0);
ALTER TABLE outbox ADD COLUMN claim_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;

-- +goose Down
ALTER TABLE outbox DROP COLUMN claimed_at;
ALTER TABLE outbox DROP COLUMN claim_epoch;
DROP TABLE lease;
