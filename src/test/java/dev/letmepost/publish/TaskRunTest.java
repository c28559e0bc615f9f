package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.client.Backoff;
import dev.letmepost.publish.TaskRun.Mode;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The worker's retry and reconciliation decisions, one classification path per test. */
class TaskRunTest {
  static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");
  static final Duration DEADLINE = Duration.ofMinutes(5);
  static final Backoff BACKOFF = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));
  static final Duration MIN_RECONCILE_WAIT = Duration.ofSeconds(1);

  static PublishTask task() {
    return new PublishTask(
        "task_1",
        "batch_1",
        "fp1",
        T0.toEpochMilli(),
        0,
        "acc_1",
        "key_alice",
        "mastodon",
        "pik_1",
        "hello",
        List.of(),
        null,
        T0.plus(DEADLINE).toEpochMilli());
  }

  /** A run whose jitter always draws 0, so each wait is exactly half the backoff ceiling. */
  static TaskRun run(boolean recovered) {
    return new TaskRun(
        task(), 3, recovered, recovered ? T0 : null, BACKOFF, MIN_RECONCILE_WAIT, () -> 0.0);
  }

  /** Answers scripted results in order and records the mode of every call. */
  static final class Script implements Function<Mode, CallResult> {
    final Deque<Object> answers = new ArrayDeque<>();
    final List<Mode> calls = new ArrayList<>();

    Script then(Object answer) {
      answers.add(answer);
      return this;
    }

    @Override
    public CallResult apply(Mode mode) {
      calls.add(mode);
      Object next = answers.removeFirst();
      if (next instanceof CallFailure f) {
        throw f;
      }
      return (CallResult) next;
    }
  }

  static Clock at(Instant t) {
    return Clock.fixed(t, ZoneOffset.UTC);
  }

  @Test
  void publishedOnTheFirstCallIsThePublishedOutcome() {
    TaskRun run = run(false);
    Script s = new Script().then(new CallResult.Published("109", "https://m.example/@a/109"));

    TaskRun.Next next = run.step(at(T0), s);

    assertThat(next.outcome())
        .isEqualTo(TargetOutcome.published(task(), "109", "https://m.example/@a/109"));
    assertThat(s.calls).containsExactly(Mode.PUBLISH);
    assertThat(run.firstAttemptAt()).as("recorded before the first call").isEqualTo(T0);
  }

  @Test
  void failedIsFinalAndNotRetryable() {
    TaskRun.Next next =
        run(false)
            .step(at(T0), new Script().then(new CallResult.Failed("text_too_long", "too long")));

    assertThat(next.outcome().status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(next.outcome().error().code()).isEqualTo("text_too_long");
    assertThat(next.outcome().error().retryable()).isFalse();
  }

  @Test
  void notSentRetriesThePublishAfterAnExponentialBackoff() {
    TaskRun run = run(false);
    Script s =
        new Script()
            .then(new CallResult.NotSent("platform_unavailable", "refused"))
            .then(new CallResult.NotSent("platform_unavailable", "refused"))
            .then(new CallResult.Published("1", null));

    TaskRun.Next first = run.step(at(T0), s);
    assertThat(first.next()).isEqualTo(T0.plusMillis(250)); // half of 500 ms, jitter 0
    assertThat(first.holdAccount()).as("a backoff is the task's own wait").isFalse();
    TaskRun.Next second = run.step(at(first.next()), s);
    assertThat(second.next()).isEqualTo(first.next().plusMillis(500)); // half of 1 s
    assertThat(run.step(at(second.next()), s).outcome().status())
        .isEqualTo(TargetOutcome.Status.published);
    assertThat(s.calls).containsExactly(Mode.PUBLISH, Mode.PUBLISH, Mode.PUBLISH);
    assertThat(run.mayHaveReachedPlatform()).isTrue();
  }

  @Test
  void aRateLimitWaitsAtLeastTheRetryAfterThePlatformGave() {
    TaskRun run = run(false);
    TaskRun.Next next =
        run.step(
            at(T0),
            new Script()
                .then(new CallResult.NotSent("rate_limited", "429", Duration.ofSeconds(42))));

    assertThat(next.next()).isEqualTo(T0.plusSeconds(42));
    assertThat(next.holdAccount()).as("the platform asked the account to wait").isTrue();
    assertThat(run.mode()).isEqualTo(Mode.PUBLISH);
    assertThat(run.mayHaveReachedPlatform())
        .as("a 429 proves nothing was posted: a handover may publish it afresh")
        .isFalse();
  }

  @Test
  void notSentWithNoTimeLeftFailsWithItsOwnCodeAsRetryable() {
    TaskRun run = run(false);
    TaskRun.Next next =
        run.step(
            at(T0.plus(DEADLINE).minusSeconds(10)),
            new Script()
                .then(new CallResult.NotSent("rate_limited", "429", Duration.ofMinutes(1))));

    assertThat(next.outcome().status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(next.outcome().error().code()).isEqualTo("rate_limited");
    assertThat(next.outcome().error().retryable()).isTrue();
  }

  @Test
  void unclearSwitchesToReconcileAndNeverPublishesAgain() {
    TaskRun run = run(false);
    Script s =
        new Script()
            .then(new CallFailure(new CallResult.Unclear("platform_timeout", "no answer")))
            .then(new CallResult.NotSent("platform_unavailable", "lookup refused"))
            .then(new CallResult.Published("77", "at://x"));

    TaskRun.Next first = run.step(at(T0), s);
    assertThat(first.next())
        .as("never sooner than the least reconcile wait")
        .isEqualTo(T0.plusSeconds(1));
    assertThat(run.mode()).isEqualTo(Mode.RECONCILE);
    TaskRun.Next second = run.step(at(first.next()), s);
    assertThat(run.mode()).isEqualTo(Mode.RECONCILE);
    TaskRun.Next third = run.step(at(second.next()), s);

    assertThat(third.outcome()).isEqualTo(TargetOutcome.published(task(), "77", "at://x"));
    assertThat(s.calls).containsExactly(Mode.PUBLISH, Mode.RECONCILE, Mode.RECONCILE);
  }

  @Test
  void unclearWithNoTimeLeftIsUnknown() {
    TaskRun.Next next =
        run(false)
            .step(
                at(T0.plus(DEADLINE).minusMillis(100)),
                new Script().then(new CallResult.Unclear("platform_error", "502 after sending")));

    assertThat(next.outcome().status()).isEqualTo(TargetOutcome.Status.unknown);
    assertThat(next.outcome().error().code()).isEqualTo("outcome_unknown");
    assertThat(next.outcome().error().message()).contains("502 after sending");
  }

  @Test
  void absentProvenByThePlatformAllowsPublishingAgain() {
    TaskRun run = run(true);
    Script s =
        new Script()
            .then(new CallResult.Absent("no record with rkey 3abc"))
            .then(new CallResult.Published("3abc", "at://did/app.bsky.feed.post/3abc"));

    TaskRun.Next first = run.step(at(T0), s);
    assertThat(first.next()).isEqualTo(T0);
    assertThat(run.step(at(T0), s).outcome().postId()).isEqualTo("3abc");
    assertThat(s.calls).containsExactly(Mode.RECONCILE, Mode.PUBLISH);
  }

  @Test
  void unknownFromReconciliationIsTheUnknownOutcome() {
    TaskRun.Next next =
        run(true).step(at(T0), new Script().then(new CallResult.Unknown("x has no lookup")));

    assertThat(next.outcome()).isEqualTo(TargetOutcome.unknown(task(), "x has no lookup"));
  }

  @Test
  void aRecoveredAttemptStartsByReconcilingUnlessNothingWasSent() {
    assertThat(run(true).mode()).isEqualTo(Mode.RECONCILE);
    assertThat(run(false).mode()).isEqualTo(Mode.PUBLISH);
  }

  @Test
  void noCallStartsAtTheDeadline() {
    Script none = new Script();
    Instant deadline = T0.plus(DEADLINE);

    TaskRun.Next fresh = run(false).step(at(deadline), none);
    TaskRun.Next recovered = run(true).step(at(deadline), none);

    assertThat(none.calls).isEmpty();
    assertThat(fresh.outcome().status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(fresh.outcome().error().code()).isEqualTo("deadline_exceeded");
    assertThat(recovered.outcome().status()).isEqualTo(TargetOutcome.Status.unknown);
  }

  @Test
  void absentToAPublishIsAConnectorBug() {
    assertThatThrownBy(
            () -> run(false).step(at(T0), new Script().then(new CallResult.Absent("nothing"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("task_1");
  }
}
