/**
 * Webhooks: the endpoints a principal registers and the dispatcher role that delivers the ledger's
 * lifecycle events to them (docs/webhooks.md). {@link dev.letmepost.webhook.WebhookStore} manages
 * the {@link dev.letmepost.webhook.WebhookEndpoint}s on {@code lmp.webhook-endpoints}, each URL
 * checked by the address guard; {@link dev.letmepost.webhook.WebhookDispatcher} delivers every
 * {@link dev.letmepost.wire.PostEvent} to each enabled endpoint of its principal subscribed to its
 * type, at least once: the deliveries an event owes are written to {@code lmp.webhook-pending} in
 * the same transaction as the events offset, retried on the {@link dev.letmepost.client.Backoff}
 * schedule, and signed ({@link dev.letmepost.webhook.WebhookSignature}) with a secret derived from
 * the server's {@link dev.letmepost.webhook.SigningKey}, so no secret is stored or travels in a
 * topic; an endpoint that keeps failing is disabled ({@link dev.letmepost.webhook.DisabledMark}).
 * Depends on {@code http}, {@code net} and {@code wire}.
 */
package dev.letmepost.webhook;
