/**
 * The HTTP side of the contract, as {@code wire} is the Kafka side: the API's header names ({@link
 * dev.letmepost.http.ApiHeaders}), its bodies (the batch {@link dev.letmepost.http.Envelope}, the
 * {@link dev.letmepost.http.PendingRequest} and the {@link dev.letmepost.http.ErrorBody}) and its
 * time format ({@link dev.letmepost.http.Rfc3339}). The ledger renders the bodies it records with
 * these types and the gateway answers with them; a replayed body is compared byte for byte, so
 * their property order and inclusion do not change. Depends on {@code wire}, {@code command} and
 * {@code client} (the contract's header names) only.
 */
package dev.letmepost.http;
