/**
 * The LinkedIn connector ({@link dev.letmepost.platform.linkedin.LinkedInConnector}): a text post
 * as a member or an organization through the versioned Posts API ({@code POST /rest/posts}).
 * LinkedIn refuses a recent post's duplicate and names the original, so reconciling sends the same
 * post again: either way exactly one post exists afterwards, and the answer names it.
 */
package dev.letmepost.platform.linkedin;
