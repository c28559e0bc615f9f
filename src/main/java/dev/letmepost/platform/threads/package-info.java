/**
 * The Threads connector ({@link dev.letmepost.platform.threads.ThreadsConnector}): a text post, or
 * one image by URL with its text, published in Meta's two steps (create a media container, then
 * publish it) as the account's Threads user. Nothing is posted before the second step; Threads has
 * no idempotency key and no lookup by a client key, so a call whose fate is unknown is reconciled
 * as unknown.
 */
package dev.letmepost.platform.threads;
