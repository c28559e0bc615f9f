/**
 * The publishing side: the connector SPI and the publisher workers that drive it. A platform is one
 * {@link dev.letmepost.publish.Connector}, which makes its calls through {@link
 * dev.letmepost.publish.PlatformHttp} (a deadline over the whole exchange, the address guard, a
 * capped body) and classifies what came back into a {@link dev.letmepost.publish.CallResult} with
 * the stable {@link dev.letmepost.publish.ErrorCodes}, for the account and secret of an {@link
 * dev.letmepost.publish.AccountAccess} ({@link dev.letmepost.publish.Credentials} resolves a {@link
 * dev.letmepost.publish.Secret} at the moment of use; {@link dev.letmepost.publish.WebhookUrl} is a
 * secret that is itself a URL). A {@link dev.letmepost.publish.PublisherWorker} per platform
 * ({@link dev.letmepost.publish.Publishers} runs the set) owns the rule that each target is
 * published at most once (docs/contract.md#each-target-at-most-once): it journals a task as
 * attempting before any platform call, reconciles a call whose fate is unknown instead of posting
 * again, and writes exactly one {@link dev.letmepost.wire.TargetOutcome} per task. Depends on
 * {@code net} and {@code wire} only, and knows no {@code platform} package.
 */
package dev.letmepost.publish;
