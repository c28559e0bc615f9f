package dev.letmepost.bench;

import dev.letmepost.client.CommandProducer;
import dev.letmepost.client.Request;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The benchmark's commands: one principal, {@code targets} accounts (spread over the demo
 * platforms), a body per idempotency key, written to the commands topic keyed by the request's
 * fingerprint, as the gateway writes them: each lands in the partition the ledger keeps its replay
 * record in, so the ledger decides it without repartitioning it, and a key's retries follow it.
 */
final class Traffic implements AutoCloseable {
  static final String PRINCIPAL = "key_bench";
  private static final List<Platform> PLATFORMS =
      List.of(Platform.TWITTER, Platform.LINKEDIN, Platform.BLUESKY);

  private final Topics topics;
  private final int targets;
  private final CommandProducer producer;

  /** A sender on the client library's command producer, lingering 5 ms over batches of 128 KiB. */
  Traffic(ClientSettings client, Topics topics, int targets) {
    this.topics = topics;
    this.targets = targets;
    this.producer =
        new CommandProducer(
            client.config(
                Map.of(
                    ProducerConfig.LINGER_MS_CONFIG,
                    5,
                    ProducerConfig.BATCH_SIZE_CONFIG,
                    128 * 1024)),
            topics.commands().name());
  }

  /** The accounts every body targets: {@code acc_bench_<i>}, round-robin over three platforms. */
  static List<Account> accounts(int targets) {
    List<Account> accounts = new ArrayList<>();
    for (int i = 0; i < targets; i++) {
      accounts.add(
          new Account(
              "acc_bench_" + i,
              PRINCIPAL,
              PLATFORMS.get(i % PLATFORMS.size()).wireName(),
              "bench" + i,
              Account.Status.connected,
              null,
              false));
    }
    return accounts;
  }

  /** The request body of {@code key}; {@code variant} > 0 gives a different body (a conflict). */
  static byte[] body(int targets, String key, int variant) {
    StringBuilder b = new StringBuilder("{\"targets\":[");
    for (int i = 0; i < targets; i++) {
      b.append(i == 0 ? "" : ",").append("{\"accountId\":\"acc_bench_").append(i).append("\"}");
    }
    b.append("],\"text\":\"benchmark post ")
        .append(key)
        .append(variant == 0 ? "" : " variant " + variant)
        .append(": shipped the release notes, read them on the blog\"}");
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** One command as the commands topic carries it. */
  record Command(String key, String requestId, byte[] body) {}

  /**
   * Produces {@code commands} ({@link dev.letmepost.client.Command#toRecord}, keyed by the
   * fingerprint) and waits until every one is acknowledged.
   */
  void send(List<Command> commands) {
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>(commands.size());
    for (Command c : commands) {
      acks.add(
          producer.send(
              new dev.letmepost.client.Command(
                  PRINCIPAL, c.key(), c.requestId(), Request.post(c.body()))));
    }
    producer.flush();
    for (CompletableFuture<RecordMetadata> ack : acks) {
      try {
        ack.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while producing commands", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException(
            "cannot produce a command to " + topics.commands().name() + ": " + e.getCause(),
            e.getCause());
      }
    }
  }

  /** {@code count} first-seen commands under keys {@code <tag>-<i>}. */
  List<Command> firstSeen(String tag, int count) {
    List<Command> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String key = tag + "-" + i;
      out.add(new Command(key, "req-" + tag + "-" + i, body(targets, key, 0)));
    }
    return out;
  }

  /** Each of {@code firsts} again, same key and body, under request ids {@code req-<tag>-<i>}. */
  List<Command> again(String tag, List<Command> firsts, int variant) {
    List<Command> out = new ArrayList<>(firsts.size());
    for (int i = 0; i < firsts.size(); i++) {
      Command f = firsts.get(i);
      out.add(
          new Command(
              f.key(),
              "req-" + tag + "-" + i,
              variant == 0 ? f.body() : body(targets, f.key(), variant)));
    }
    return out;
  }

  /**
   * {@code count} new keys, each sent twice in a row: the second arrives while the first batch is
   * still running and waits for its answer.
   */
  List<Command> withWaiters(String tag, int count) {
    List<Command> out = new ArrayList<>(2 * count);
    for (int i = 0; i < count; i++) {
      String key = tag + "-" + i;
      byte[] body = body(targets, key, 0);
      out.add(new Command(key, "req-" + tag + "-" + i + "a", body));
      out.add(new Command(key, "req-" + tag + "-" + i + "b", body));
    }
    return out;
  }

  @Override
  public void close() {
    producer.close();
  }
}
