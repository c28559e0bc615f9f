package dev.letmepost.client;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.KafkaException;

/**
 * A producer of commands that awaits their answers, over Kafka: a {@link CommandProducer} and a
 * {@link ResultsReader}. Each call registers its waiter before it sends, and has a deadline over
 * the whole exchange (send, decide, answer). Thread-safe; create one per process and close it.
 *
 * <p>Answers are read from the moment the client is created; an answer to a command sent before (by
 * this or another process) is not seen, but the same command again with the same idempotency key
 * gets it, replayed.
 */
public final class KafkaClient implements AutoCloseable {
  /** How many answers one client awaits at once unless told otherwise. */
  public static final int DEFAULT_MAX_WAITERS = 10_000;

  private final CommandProducer producer;
  private final ResultsReader results;

  /**
   * A client of the ledger whose topics are {@code topics}, with the user's Kafka settings ({@code
   * bootstrap.servers}, security, tuning); at most {@link #DEFAULT_MAX_WAITERS} answers awaited.
   *
   * @throws IllegalArgumentException naming a setting that contradicts what the client needs
   *     (idempotence, {@code acks=all}, {@code read_committed})
   * @throws IllegalStateException when the results topic does not exist
   */
  public KafkaClient(Map<String, ?> kafka, TopicNames topics) {
    this(kafka, topics, DEFAULT_MAX_WAITERS);
  }

  /** As {@link #KafkaClient(Map, TopicNames)}, at most {@code maxWaiters} answers awaited. */
  public KafkaClient(Map<String, ?> kafka, TopicNames topics, int maxWaiters) {
    ResultsReader reader = new ResultsReader(kafka, topics.results(), maxWaiters);
    try {
      this.producer = new CommandProducer(kafka, topics.commands());
    } catch (RuntimeException e) {
      reader.close();
      throw e;
    }
    this.results = reader;
  }

  /**
   * A client on these parts: a producer and a reader configured otherwise (a server's own
   * settings), or fakes in tests. Closing the client closes both.
   */
  public KafkaClient(CommandProducer producer, ResultsReader results) {
    this.producer = Objects.requireNonNull(producer, "producer");
    this.results = Objects.requireNonNull(results, "results");
  }

  /**
   * Sends {@code command} and returns its answer when it arrives. The future fails with {@link
   * TimeoutException} when no answer came within {@code deadline}, with the producer's error when
   * the command could not be sent, and with {@link CancellationException} when the client closes.
   * Cancel it to stop waiting.
   *
   * @throws java.util.concurrent.RejectedExecutionException when the client awaits its bound of
   *     answers already
   */
  public CompletableFuture<Answer> submit(Command command, Duration deadline) {
    CompletableFuture<Answer> answer = results.await(command.requestId(), deadline);
    producer
        .send(command)
        .whenComplete(
            (sent, e) -> {
              if (e != null) {
                answer.completeExceptionally(e);
              }
            });
    return answer;
  }

  /**
   * Sends {@code command} and waits for its answer, at most {@code deadline} in all.
   *
   * @throws TimeoutException when none came in time: the command may have been sent, so send it
   *     again with the same idempotency key to get its answer
   * @throws KafkaException when the command could not be sent
   */
  public Answer call(Command command, Duration deadline)
      throws TimeoutException, InterruptedException {
    CompletableFuture<Answer> answer = submit(command, deadline);
    try {
      return answer.get();
    } catch (InterruptedException e) {
      answer.cancel(false);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      while (cause instanceof CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof TimeoutException) {
        TimeoutException t =
            new TimeoutException(
                "no answer to request "
                    + command.requestId()
                    + " within "
                    + deadline
                    + "; the command may have been sent: send it again with the same"
                    + " idempotency key to get its answer");
        t.initCause(cause);
        throw t;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new KafkaException("request " + command.requestId() + " failed: " + cause, cause);
    }
  }

  /**
   * Posts {@code post} for {@code principal} under {@code idempotencyKey} (null: none) and waits
   * for the answer: {@link #call} of a new command.
   */
  public Answer post(String principal, String idempotencyKey, Post post, Duration deadline)
      throws TimeoutException, InterruptedException {
    return call(Command.of(principal, idempotencyKey, Request.post(post)), deadline);
  }

  /**
   * The answer to {@code requestId}, a command sent some other way (another producer, a bridge):
   * call it before the command is sent, as an answer read before is not kept. The future fails as
   * {@link #submit}'s does.
   *
   * @throws java.util.concurrent.RejectedExecutionException when the client awaits its bound of
   *     answers already
   * @throws IllegalStateException when {@code requestId} is awaited already
   */
  public CompletableFuture<Answer> await(String requestId, Duration deadline) {
    return results.await(requestId, deadline);
  }

  /** The command producer, for senders that do not await answers (bulk loads). */
  public CommandProducer producer() {
    return producer;
  }

  /** How many answers this client awaits now. */
  public int waiting() {
    return results.waiting();
  }

  /** Why the results reader is not reading now (down, restarting); empty while it reads. */
  public Optional<String> problem() {
    return results.problem();
  }

  /** Stops reading answers (cancelling every waiter), then closes the producer. */
  @Override
  public void close() {
    results.close();
    producer.close();
  }
}
