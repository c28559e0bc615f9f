/**
 * The Mastodon connector ({@link dev.letmepost.platform.mastodon.MastodonConnector}): a task's text
 * as a status ({@code POST /api/v1/statuses}) on the account's instance, sent with the task's
 * platform idempotency key. The instance answers a repeated key with the status already made, so
 * reconciling is the same request while the key is certain to be held (the instance keeps it an
 * hour; the connector repeats it up to 50 minutes after the first call); later it answers unknown
 * rather than risk a second status.
 */
package dev.letmepost.platform.mastodon;
