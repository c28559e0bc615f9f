package dev.letmepost.cli;

import dev.letmepost.client.Answer;
import dev.letmepost.client.Backoff;
import dev.letmepost.client.Command;
import dev.letmepost.client.CommandProducer;
import dev.letmepost.client.KafkaClient;
import dev.letmepost.client.Request;
import dev.letmepost.client.ResultsReader;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * {@code lmp post}'s Kafka client of the ledger, and the tests': a {@link KafkaClient} of the
 * client library (commands keyed by their fingerprint, answers read {@code read_committed} and
 * matched by request id) on the operator's {@link ClientSettings}, whose {@link #send} and {@link
 * #await} may be called apart: the answer is awaited from the send on. Answers are read from the
 * moment the client was created, so create it before sending.
 *
 * <p>Bounds: each sent command's answer is awaited for {@link #KEPT} at most, then its waiter
 * leaves; at most {@link KafkaClient#DEFAULT_MAX_WAITERS} are awaited at once. An answer is kept
 * until {@link #await} takes it or the client closes (a tool's client lives for a few commands).
 */
public final class PostClient implements AutoCloseable {
  /** How long the answer to a command sent is awaited, whether or not {@link #await} asks yet. */
  static final Duration KEPT = Duration.ofMinutes(10);

  private final KafkaClient client;
  private final Map<String, CompletableFuture<Answer>> sent = new ConcurrentHashMap<>();

  /** The command producer's settings ({@link CommandProducer#config}): idempotent, acks=all. */
  static Map<String, Object> producerConfig(ClientSettings client) {
    return CommandProducer.config(client.config());
  }

  public PostClient(ClientSettings settings, Topics topics) {
    this(
        new KafkaClient(
            new CommandProducer(
                new KafkaProducer<>(
                    producerConfig(settings), new ByteArraySerializer(), new ByteArraySerializer()),
                topics.commands().name()),
            new ResultsReader(
                "lmp-post-results",
                topics.results().name(),
                () ->
                    Consumers.readCommitted(
                        settings, new StringDeserializer(), new ByteArrayDeserializer()),
                KafkaClient.DEFAULT_MAX_WAITERS,
                Backoff.DEFAULT,
                Backoff.Sleeper.SYSTEM)));
  }

  /** A client on {@code client} (on mocks, in tests). */
  PostClient(KafkaClient client) {
    this.client = client;
  }

  /**
   * Produces {@code body} as a post command ({@code POST /v1/posts}, its exact bytes) for {@code
   * principal} under {@code idempotencyKey} (null: none) and {@code requestId}, and waits until
   * Kafka has it.
   */
  public void send(String principal, String idempotencyKey, String requestId, byte[] body) {
    Command command = new Command(principal, idempotencyKey, requestId, Request.post(body));
    CompletableFuture<Answer> answer = client.submit(command, KEPT);
    sent.put(requestId, answer);
    client.producer().flush();
  }

  /**
   * Awaits the answer to {@code requestId}, a command sent some other way: call it before sending,
   * then {@link #await}.
   */
  public void expect(String requestId) {
    sent.put(requestId, client.await(requestId, KEPT));
  }

  /**
   * The answer to {@code requestId}, sent with {@link #send} or {@link #expect}ed, or empty when
   * none arrived within {@code timeout}.
   *
   * @throws IllegalStateException when the command could not be sent, or was neither sent nor
   *     expected here
   */
  public Optional<Answer> await(String requestId, Duration timeout) {
    CompletableFuture<Answer> answer = sent.get(requestId);
    if (answer == null) {
      throw new IllegalStateException(
          "no command with request id " + requestId + " sent or expected here");
    }
    try {
      Optional<Answer> got = Optional.of(answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
      sent.remove(requestId, answer);
      return got;
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TimeoutException) {
        return Optional.empty();
      }
      throw new IllegalStateException("request " + requestId + " failed: " + e.getCause(), e);
    }
  }

  /** Sends and awaits. */
  public Optional<Answer> post(
      String principal, String idempotencyKey, String requestId, byte[] body, Duration timeout) {
    send(principal, idempotencyKey, requestId, body);
    return await(requestId, timeout);
  }

  @Override
  public void close() {
    client.close();
  }
}
