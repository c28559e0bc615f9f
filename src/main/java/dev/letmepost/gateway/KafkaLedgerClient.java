package dev.letmepost.gateway;

import dev.letmepost.command.Hashing;
import dev.letmepost.command.Limits;
import dev.letmepost.wire.Backoff;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.ReaderLoop;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The gateway's Kafka side: one idempotent producer for commands and one results consumer per
 * gateway instance, which reads every partition of the results topic ({@code read_committed}, from
 * its end at start-up) and completes the waiter registered under each answer's request id.
 *
 * <p>Answers for request ids nobody here waits for (other instances', other clients') are dropped;
 * a waiter is registered before its command is produced, so its answer cannot pass unseen.
 */
public final class KafkaLedgerClient implements LedgerClient, AutoCloseable {
  private final Topics topics;
  private final Producer<byte[], byte[]> producer;
  private final Supplier<? extends Consumer<String, byte[]>> consumers;
  private final Map<String, CompletableFuture<LedgerAnswer>> waiters = new ConcurrentHashMap<>();

  /** Where each partition's reading stands (the reader thread's): a new session resumes there. */
  private final Map<TopicPartition, Long> positions = new HashMap<>();

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ReaderLoop loop;
  private final Thread thread;
  private volatile Consumer<String, byte[]> consumer;

  public KafkaLedgerClient(ClientSettings client, Topics topics) {
    this(
        topics,
        new KafkaProducer<>(
            producerConfig(client), new ByteArraySerializer(), new ByteArraySerializer()),
        () ->
            Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer()),
        Backoff.DEFAULT,
        ReaderLoop.Sleeper.SYSTEM);
  }

  /**
   * A client on {@code producer} and consumers from {@code consumers} (a new one for each session
   * of the results reader). The first is assigned here, from the end: a missing topic fails the
   * constructor. A session that fails is restarted ({@link ReaderLoop}) at the positions read so
   * far, so answers written while it was down still reach their waiters.
   */
  KafkaLedgerClient(
      Topics topics,
      Producer<byte[], byte[]> producer,
      Supplier<? extends Consumer<String, byte[]>> consumers,
      Backoff backoff,
      ReaderLoop.Sleeper sleeper) {
    this.topics = topics;
    this.producer = producer;
    this.consumers = consumers;
    Consumer<String, byte[]> first;
    try {
      first = consumers.get();
    } catch (RuntimeException e) {
      producer.close();
      throw e;
    }
    try {
      List<TopicPartition> partitions = Consumers.assignAll(first, topics.results().name());
      first.seekToEnd(partitions);
      for (TopicPartition tp : partitions) {
        positions.put(tp, first.position(tp));
      }
    } catch (RuntimeException e) {
      producer.close();
      first.close();
      throw e;
    }
    this.consumer = first;
    this.loop = new ReaderLoop("gateway-results", backoff, sleeper, running::get);
    this.thread = new Thread(() -> loop.run(this::session), "gateway-results");
    thread.setDaemon(true);
    thread.start();
  }

  /** Why the results reader is not reading now (down, restarting); empty while it reads. */
  public Optional<String> problem() {
    return loop.problem();
  }

  /**
   * The command producer's settings: idempotent, {@code acks=all}, no linger, and {@code
   * max.request.size} {@link Limits#MAX_REQUEST_SIZE}, the size the ledger's limits are worked out
   * against (a command of the largest accepted body and its headers fits).
   */
  static Map<String, Object> producerConfig(ClientSettings client) {
    return client.config(
        Map.of(
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true,
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.LINGER_MS_CONFIG,
            0,
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
            Limits.MAX_REQUEST_SIZE));
  }

  /**
   * {@inheritDoc}
   *
   * <p>A send that fails, whether the producer reports it to the callback or throws it (closed,
   * record too large), fails the returned future; the waiter does not stay registered.
   */
  @Override
  public CompletableFuture<LedgerAnswer> submit(
      String requestId,
      String principal,
      String idempotencyKey,
      String method,
      String path,
      byte[] body) {
    CompletableFuture<LedgerAnswer> answer = new CompletableFuture<>();
    if (waiters.putIfAbsent(requestId, answer) != null) {
      throw new IllegalStateException("request id " + requestId + " is already waiting");
    }
    answer.whenComplete((a, e) -> waiters.remove(requestId, answer));
    RecordHeaders headers = new RecordHeaders();
    headers.add(LmpHeaders.PRINCIPAL, utf8(principal));
    headers.add(LmpHeaders.REQUEST_ID, utf8(requestId));
    headers.add(LmpHeaders.METHOD, utf8(method));
    headers.add(LmpHeaders.PATH, utf8(path));
    if (idempotencyKey != null) {
      headers.add(LmpHeaders.IDEMPOTENCY_KEY, utf8(idempotencyKey));
    }
    try {
      producer.send(
          new ProducerRecord<>(
              topics.commands().name(),
              null,
              null,
              utf8(recordKey(requestId, principal, idempotencyKey, method, path)),
              body,
              headers),
          (metadata, e) -> {
            if (e != null) {
              answer.completeExceptionally(e);
            }
          });
    } catch (RuntimeException e) {
      answer.completeExceptionally(e);
    }
    return answer;
  }

  /**
   * The command's record key: its fingerprint when it has an idempotency key, so that Kafka's
   * default partitioner puts it in the partition the ledger keeps its replay record in and the
   * ledger decides it without repartitioning it (docs/contract.md#topics); else its request id (a
   * command without key gets a fingerprint of its own position, unknown before it is written).
   */
  static String recordKey(
      String requestId, String principal, String idempotencyKey, String method, String path) {
    return idempotencyKey == null
        ? requestId
        : Hashing.fingerprint(principal, method, path, idempotencyKey);
  }

  private void session(Runnable healthy) {
    Consumer<String, byte[]> c = consumer;
    try {
      if (c == null) {
        c = consumers.get();
        consumer = c;
        for (TopicPartition tp : Consumers.assignAll(c, topics.results().name())) {
          Long at = positions.get(tp);
          if (at == null) {
            c.seekToEnd(List.of(tp));
          } else {
            c.seek(tp, at);
          }
        }
      }
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
          if (r.key() == null) {
            continue;
          }
          CompletableFuture<LedgerAnswer> waiter = waiters.get(r.key());
          if (waiter != null) {
            try {
              waiter.complete(answer(r));
            } catch (RuntimeException e) {
              waiter.completeExceptionally(e);
            }
          }
        }
        for (TopicPartition tp : c.assignment()) {
          positions.put(tp, c.position(tp));
        }
        healthy.run();
      }
    } finally {
      consumer = null;
      if (c != null) {
        boolean interrupted = Thread.interrupted(); // close() ends a session closing interrupted
        c.close(Duration.ofSeconds(5));
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  static LedgerAnswer answer(ConsumerRecord<String, byte[]> r) {
    String status = header(r, LmpHeaders.STATUS);
    if (status == null) {
      throw new IllegalStateException("answer to " + r.key() + " has no " + LmpHeaders.STATUS);
    }
    return new LedgerAnswer(
        r.key(),
        Integer.parseInt(status),
        Boolean.parseBoolean(header(r, LmpHeaders.REPLAYED)),
        header(r, LmpHeaders.IDEMPOTENCY_KEY),
        header(r, LmpHeaders.BATCH_ID),
        header(r, LmpHeaders.KEY_EXPIRES),
        ByteString.copyOf(r.value() == null ? new byte[0] : r.value()));
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    running.set(false);
    ReaderLoop.stop(consumer, thread);
    producer.close(Duration.ofSeconds(5));
    waiters.values().forEach(f -> f.cancel(false));
  }
}
