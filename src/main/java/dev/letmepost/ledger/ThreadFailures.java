package dev.letmepost.ledger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the ledger does when a stream thread dies of an exception that no handler took: it starts a
 * replacement thread, up to {@link #MAX_REPLACEMENTS} within {@link #WINDOW}. The dead thread's
 * tasks are closed as after a crash (their open transaction aborted, their stores restored from the
 * changelogs by the next owner), so a replacement publishes nothing twice. Past the bound the
 * failure is taken as lasting and the instance shuts down (state {@code ERROR}); the role's process
 * then exits non-zero for its supervisor to restart it. Without this handler Streams shuts the
 * whole instance down on the first such exception, and a gateway would answer 503 until restarted
 * by hand.
 */
public final class ThreadFailures implements StreamsUncaughtExceptionHandler {
  /** Replacements allowed within {@link #WINDOW} before the instance shuts down. */
  static final int MAX_REPLACEMENTS = 5;

  /** The window over which replacements are counted. */
  static final Duration WINDOW = Duration.ofMinutes(10);

  private static final Logger LOG = LoggerFactory.getLogger(ThreadFailures.class);

  private final Clock clock;
  private final Deque<Instant> replaced = new ArrayDeque<>(MAX_REPLACEMENTS);

  public ThreadFailures(Clock clock) {
    this.clock = clock;
  }

  @Override
  public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
    Instant now = clock.instant();
    while (!replaced.isEmpty() && !replaced.peekFirst().isAfter(now.minus(WINDOW))) {
      replaced.removeFirst();
    }
    if (replaced.size() >= MAX_REPLACEMENTS) {
      LOG.error(
          "a ledger stream thread died, the {}th time within {}: shutting the ledger down",
          MAX_REPLACEMENTS + 1,
          WINDOW,
          exception);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    replaced.addLast(now);
    LOG.error(
        "a ledger stream thread died; starting a replacement ({} of at most {} within {})",
        replaced.size(),
        MAX_REPLACEMENTS,
        WINDOW,
        exception);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }
}
