// Package plumbing is what every platform adapter shares (DESIGN §2a): the connection supervisor
// (reconnect with jittered backoff, fatal errors, a connected state), the command dispatcher
// (bounded concurrency, in order per chat, one chat never holds up another), the HTTP verdict
// table and secret-redacting errors.
package plumbing
