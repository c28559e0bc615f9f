/**
 * The Kafka side of the contract, shared by every role (docs/contract.md): the typed registry of
 * every topic, {@link dev.letmepost.wire.Topics}, each a {@link dev.letmepost.wire.Topic} with its
 * name, serdes and topic configuration; the records that cross a process boundary ({@link
 * dev.letmepost.wire.PublishTask}, {@link dev.letmepost.wire.TargetOutcome}, {@link
 * dev.letmepost.wire.PostEvent}, {@link dev.letmepost.wire.Account}); the platforms and what each
 * can take ({@link dev.letmepost.wire.Platform}, {@link dev.letmepost.wire.PlatformCapabilities});
 * the record header names ({@link dev.letmepost.wire.LmpHeaders}) and the project's one JSON mapper
 * ({@link dev.letmepost.wire.Json}). It also holds how a role reaches the cluster ({@link
 * dev.letmepost.wire.ClientSettings}) and reads a contract topic directly ({@link
 * dev.letmepost.wire.Consumers}, which also starts the client's {@link
 * dev.letmepost.client.TopicFollower} on them) and closes the parts it started ({@link
 * dev.letmepost.wire.Closer}). It owns the rule that a topic's name and serdes are read from {@code
 * Topics}, never written as literals at a call site, and it depends on no other project package but
 * the client library, so every role can share it.
 */
package dev.letmepost.wire;
