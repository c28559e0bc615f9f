package dev.letmepost.ledger;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/** {@link ThreadFailures}: a dead stream thread is replaced, a bounded number of times. */
class ThreadFailuresTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-08T03:00:00Z"));
  private final ThreadFailures failures = new ThreadFailures(clock);

  private final StreamsException died = new StreamsException("Error encountered sending record");

  /**
   * Regression: the ledger set no handler, so the first exception out of a stream thread (a send
   * error during a broker restart, RolesIT on CI) shut the whole instance down, and its gateway
   * answered 503 ledger_unavailable until restarted by hand.
   */
  @Test
  void aStreamThreadThatDiesIsReplacedInsteadOfStoppingTheLedger() {
    assertThat(failures.handle(died)).isEqualTo(REPLACE_THREAD);
  }

  @Test
  void theSixthDeathWithinTheWindowShutsTheLedgerDown() {
    for (int i = 0; i < ThreadFailures.MAX_REPLACEMENTS; i++) {
      assertThat(failures.handle(died)).as("death %d", i + 1).isEqualTo(REPLACE_THREAD);
      clock.advance(Duration.ofSeconds(1));
    }
    assertThat(failures.handle(died)).isEqualTo(SHUTDOWN_CLIENT);
  }

  @Test
  void deathsOlderThanTheWindowNoLongerCount() {
    for (int i = 0; i < ThreadFailures.MAX_REPLACEMENTS; i++) {
      assertThat(failures.handle(died)).isEqualTo(REPLACE_THREAD);
    }
    clock.advance(ThreadFailures.WINDOW.plusMillis(1));
    assertThat(failures.handle(died)).isEqualTo(REPLACE_THREAD);
    // The window slides: the one just counted and four more fit, the next does not.
    for (int i = 1; i < ThreadFailures.MAX_REPLACEMENTS; i++) {
      assertThat(failures.handle(died)).isEqualTo(REPLACE_THREAD);
    }
    assertThat(failures.handle(died)).isEqualTo(SHUTDOWN_CLIENT);
  }
}
