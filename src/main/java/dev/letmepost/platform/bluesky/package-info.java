/**
 * The Bluesky connector ({@link dev.letmepost.platform.bluesky.BlueskyConnector}): an app-password
 * session on the account's PDS ({@link dev.letmepost.platform.bluesky.SessionCache}, one
 * createSession per account identity at a time) and the post created as an {@code
 * app.bsky.feed.post} record under a record key computed from the task alone ({@link
 * dev.letmepost.platform.bluesky.RecordKeys}): a repository holds one record per key, so a repeated
 * create cannot post twice, and reconciling reads that record back.
 */
package dev.letmepost.platform.bluesky;
