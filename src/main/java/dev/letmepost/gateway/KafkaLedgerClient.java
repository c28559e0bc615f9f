package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import dev.letmepost.client.Backoff;
import dev.letmepost.client.Command;
import dev.letmepost.client.CommandProducer;
import dev.letmepost.client.KafkaClient;
import dev.letmepost.client.ResultsReader;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The gateway's Kafka side: a {@link KafkaClient} of the client library, that is one idempotent
 * {@link CommandProducer} (commands keyed by their fingerprint) and one {@link ResultsReader} per
 * gateway instance, which reads every partition of the results topic ({@code read_committed}, from
 * its end at start-up) and completes the waiter registered under each answer's request id.
 *
 * <p>Answers for request ids nobody here waits for (other instances', other clients') are dropped;
 * a waiter is registered before its command is produced, so its answer cannot pass unseen. Bounds:
 * each waiter leaves at its deadline, and at most {@link #MAX_WAITERS} wait at once (past it a
 * submit throws {@link java.util.concurrent.RejectedExecutionException}, which the gateway answers
 * {@code 503} with {@code Retry-After}).
 */
public final class KafkaLedgerClient implements LedgerClient, AutoCloseable {
  /**
   * How many answers one gateway instance awaits at once, every principal together: each
   * principal's own bound ({@link GatewayConfig#maxWaitersPerPrincipal()}) is checked before.
   */
  static final int MAX_WAITERS = 100_000;

  private final KafkaClient client;

  public KafkaLedgerClient(ClientSettings client, Topics topics) {
    this(
        topics,
        new KafkaProducer<>(
            producerConfig(client), new ByteArraySerializer(), new ByteArraySerializer()),
        () ->
            Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer()),
        Backoff.DEFAULT,
        Backoff.Sleeper.SYSTEM);
  }

  /**
   * A client on {@code producer} and consumers from {@code consumers} (a new one for each session
   * of the results reader). The first is assigned here, from the end: a missing topic fails the
   * constructor. A session that fails is restarted after {@code backoff} at the positions read so
   * far, so answers written while it was down still reach their waiters.
   */
  KafkaLedgerClient(
      Topics topics,
      Producer<byte[], byte[]> producer,
      Supplier<? extends Consumer<String, byte[]>> consumers,
      Backoff backoff,
      Backoff.Sleeper sleeper) {
    ResultsReader results;
    try {
      results =
          new ResultsReader(
              "gateway-results", topics.results().name(), consumers, MAX_WAITERS, backoff, sleeper);
    } catch (RuntimeException e) {
      producer.close();
      throw e;
    }
    this.client = new KafkaClient(new CommandProducer(producer, topics.commands().name()), results);
  }

  /** Why the results reader is not reading now (down, restarting); empty while it reads. */
  public Optional<String> problem() {
    return client.problem();
  }

  /**
   * The command producer's settings ({@link CommandProducer#config}): the operator's client
   * settings, idempotent, {@code acks=all}, no linger, and {@code max.request.size} {@link
   * dev.letmepost.command.Limits#MAX_REQUEST_SIZE}, the size the ledger's limits are worked out
   * against (a command of the largest accepted body and its headers fits).
   */
  static Map<String, Object> producerConfig(ClientSettings client) {
    return CommandProducer.config(client.config());
  }

  /**
   * {@inheritDoc}
   *
   * <p>A send that fails, whether the producer reports it to the callback or throws it (closed,
   * record too large), fails the returned future; the waiter does not stay registered.
   */
  @Override
  public CompletableFuture<Answer> submit(Command command, Duration deadline) {
    return client.submit(command, deadline);
  }

  /** Stops the results reader, cancelling every waiter, and closes the producer. */
  @Override
  public void close() {
    client.close();
  }
}
