/**
 * The post command and the rules on it that need no state: {@link
 * dev.letmepost.command.CommandReader} reads a raw record's headers and exact body bytes into a
 * {@link dev.letmepost.command.Command}, or refuses one no answer can be addressed to ({@link
 * dev.letmepost.command.UnreadableCommandException}); {@link dev.letmepost.command.Hashing} derives
 * the request fingerprint and body hash; {@link dev.letmepost.command.IdempotencyKeys} is the key's
 * format; {@link dev.letmepost.command.Preflight} validates a post body into a {@link
 * dev.letmepost.command.PostRequest}, reporting every {@link dev.letmepost.command.FieldError};
 * {@link dev.letmepost.command.BatchAction} reads and writes a batch action's method and path; and
 * {@link dev.letmepost.command.Limits} holds the size limits that keep every record the ledger
 * derives under the record ceiling. The ledger decides with these rules, and the gateway checks a
 * request's key, size and batch route with the same ones before it makes a command, so both refuse
 * the same things. Depends on {@code wire} only.
 */
package dev.letmepost.command;
