/**
 * The embedded broker that {@code lmp serve} starts when no cluster is given: {@link
 * dev.letmepost.broker.EmbeddedBroker}, a real single-node KRaft Kafka in this JVM whose data
 * survives restarts, and {@link dev.letmepost.broker.TopicSetup}, which creates the topics of a
 * {@link dev.letmepost.wire.Topics} registry that do not exist yet, with their configuration. Only
 * {@code cli} (and the tests) use it: every role runs against any cluster. Depends on {@code wire}
 * only.
 */
package dev.letmepost.broker;
