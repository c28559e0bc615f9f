/**
 * The HTTP gateway ({@link dev.letmepost.gateway.Gateway}, run by {@link
 * dev.letmepost.gateway.GatewayService}): {@code POST /v1/posts} and the batch actions turned into
 * commands for the ledger ({@link dev.letmepost.gateway.LedgerClient}) and answered with its
 * recorded bytes, the reads served from the ledger's stores here or on the instance that hosts them
 * ({@link dev.letmepost.gateway.LedgerView}), and the webhook endpoint routes. It decides no
 * request: the ledger does. It owns who is asking (the API keys, {@link
 * dev.letmepost.gateway.ApiKeys}, resolved by an {@link dev.letmepost.gateway.ApiKeyRegistry} that
 * follows {@code lmp.api-keys}), what a request must pass before it becomes a command (its API key,
 * its {@code Idempotency-Key}, its content type and body size), and how long an answer is waited
 * for ({@code 202} with a {@code Location} to poll after the answer timeout). Its replay fast path
 * answers a retry from this instance's store only with the bytes the ledger recorded, for a record
 * the ledger's own rule finds live. Depends on {@code command}, {@code http}, {@code ledger},
 * {@code net}, {@code webhook} and {@code wire}.
 */
package dev.letmepost.gateway;
