/**
 * Per-key lanes of work ({@link dev.letmepost.lanes.Lanes}), the one rule of how a role shares its
 * threads among the keys it works for: each key's items wait in the key's own lane and run one at a
 * time, in order, and the keys of one group run at most a set number at once, so a slow, failing or
 * rate-limited key delays only its own items and one tenant holds only its share. The publisher
 * workers run one lane per account ({@code publish.AccountLanes}), the webhook dispatcher one per
 * endpoint, grouped by principal ({@code webhook.DeliveryLanes}). It depends on the JDK only.
 */
package dev.letmepost.lanes;
