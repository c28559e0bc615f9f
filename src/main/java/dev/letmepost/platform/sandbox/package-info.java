/**
 * The sandbox: a fake social platform that sends nothing off the machine, and the connector that
 * publishes to it in demo mode. {@link dev.letmepost.platform.sandbox.SandboxPlatform} keeps every
 * accepted post as a line of {@code posts.jsonl} and deduplicates on the platform idempotency key
 * forever; {@link dev.letmepost.platform.sandbox.SandboxServer} serves it over a small
 * Mastodon-like HTTP API with the {@link dev.letmepost.platform.sandbox.Faults} of a real platform
 * (500s, 429s, hang-ups, latency) injected on demand; {@link
 * dev.letmepost.platform.sandbox.SandboxConnector} stands in for any platform's connector and
 * reconciles by looking the key up; {@link dev.letmepost.platform.sandbox.SandboxWire} defines each
 * JSON body both sides exchange once.
 */
package dev.letmepost.platform.sandbox;
