-- Named strings that adapters keep across restarts (a Matrix sync token, an access token got by
-- password login, a device id), beside the integer cursors.

-- +goose Up
CREATE TABLE texts (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE texts;
