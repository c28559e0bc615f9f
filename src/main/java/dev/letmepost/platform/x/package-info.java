/**
 * The X (Twitter) connector ({@link dev.letmepost.platform.x.XConnector}): a text post through the
 * X API v2 ({@code POST /2/tweets}) with the account's OAuth 2.0 user-context token. X has no
 * idempotency key and no lookup by anything the task carries, so a call whose fate is unknown is
 * reconciled as unknown.
 */
package dev.letmepost.platform.x;
