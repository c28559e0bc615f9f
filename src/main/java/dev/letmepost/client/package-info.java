/**
 * The client of the ledger, for the project's own producers and consumers and for users' services:
 * typed requests ({@link dev.letmepost.client.Post}, {@link dev.letmepost.client.Request}) and the
 * one writer of a command record ({@link dev.letmepost.client.Command}); the rules a producer must
 * share with the ledger, each in its one home (the {@link dev.letmepost.client.Fingerprint}, the
 * {@link dev.letmepost.client.Headers} names, the {@link dev.letmepost.client.IdempotencyKeys}
 * format); sending and awaiting answers over Kafka ({@link dev.letmepost.client.KafkaClient}) and
 * HTTP ({@link dev.letmepost.client.GatewayClient}), on the one background reader of a topic
 * ({@link dev.letmepost.client.TopicFollower}, restarted after a failure on the one {@link
 * dev.letmepost.client.Backoff}); and the typed answers, envelopes and events downstream consumers
 * read. It depends on the JDK, kafka-clients, Jackson and SLF4J only (docs/client.md).
 */
package dev.letmepost.client;
