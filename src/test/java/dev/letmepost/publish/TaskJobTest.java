package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.wire.Account;
import dev.letmepost.wire.TargetOutcome;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * One task's job in the worker ({@link TaskJob}): the account and its credentials resolved before
 * any call, a job that throws still answered, and a retry due on the worker's clock.
 */
class TaskJobTest extends WorkerHarness {
  @Test
  void aDisconnectedAccountFailsWithoutAnyCall() {
    addAccount("acc_off", Account.Status.disconnected, "env:TOKEN");
    start();
    deliver(0, 0, task("t1", "acc_off"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(connector.calls).isEmpty();
    assertThat(outcomes().get(0).error().code()).isEqualTo("account_disconnected");
  }

  /**
   * Broke: the outcome's message named the operator's credential reference ({@code env:NOT_SET}),
   * which the tenant then read in the envelope and events; the log names it, the tenant gets the
   * account and a fixed reason.
   */
  @Test
  void unsetCredentialsFailAsDisconnectedWithoutNamingTheReference() {
    addAccount("acc_1", Account.Status.connected, "env:NOT_SET");
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    TargetOutcome o = outcomes().get(0);
    assertThat(o.status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(o.error().code()).isEqualTo("account_disconnected");
    assertThat(o.error().message())
        .isEqualTo(
            "account acc_1: its credentials cannot be read by the publisher (the operator's log"
                + " names the reference); nothing was sent")
        .doesNotContain("env:NOT_SET");
    assertThat(connector.calls).isEmpty();
  }

  @Test
  void aRemovedAccountFailsAsNotFound() {
    start();
    deliver(0, 0, task("t1", "acc_gone"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(outcomes().get(0).error().code()).isEqualTo("account_not_found");
  }

  /**
   * Regression: a job that threw in its account lane was logged and dropped, so its task never got
   * an outcome (the ledger ended it unknown at its deadline). Here the account book throws.
   */
  @Test
  void aTaskWhoseJobThrowsIsStillAnsweredNamingTheError() {
    accountBook =
        id -> {
          throw new IllegalStateException("account book cannot be read");
        };
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    TargetOutcome o = outcomes().get(0);
    assertThat(o.status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(o.error().code()).isEqualTo(ErrorCodes.PUBLISHER_ERROR);
    assertThat(o.error().message())
        .contains("t1", "acc_1", "account book cannot be read", "nothing was posted");
    assertThat(connector.calls).isEmpty();
  }

  /**
   * Regression: {@code Credentials.resolve} on a {@code file:} reference that is no valid path
   * threw InvalidPathException out of the lane job, and the task was silently dropped.
   */
  @Test
  void credentialsNamingAnUnusableFilePathFailTheTaskAsDisconnected() {
    addAccount("acc_1", Account.Status.connected, "file:/run/secrets/\0mastodon");
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    TargetOutcome o = outcomes().get(0);
    assertThat(o.status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(o.error().code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(o.error().message())
        .contains("acc_1", "its credentials cannot be read")
        .doesNotContain("file:");
    assertThat(connector.calls).isEmpty();
  }

  /**
   * Regression (tenant isolation): the task was made for key_alice's account acc_1; before its call
   * (a scheduled release) acc_1 was reassigned to key_bob, and the worker posted key_alice's text
   * on key_bob's account. Now it fails as account_not_found, like the ledger answers for a foreign
   * account, naming no other principal, and nothing is sent.
   */
  @Test
  void anAccountReassignedToAnotherPrincipalIsNotPostedToAndFailsAsNotFound() {
    accounts.put(
        "acc_1",
        new Account(
            "acc_1", "key_bob", "mastodon", "@b", Account.Status.connected, "env:TOKEN", false));
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    TargetOutcome o = outcomes().get(0);
    assertThat(o.status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(o.error().code()).isEqualTo(ErrorCodes.ACCOUNT_NOT_FOUND);
    assertThat(o.error().message()).contains("acc_1").doesNotContain("key_bob");
    assertThat(connector.calls).isEmpty();
  }

  /**
   * A retry waits out its backoff on the worker's clock: with the test's backoff (base 10 ms) the
   * first retry is due 5 to 10 ms after the 503, and not one real millisecond is waited for it.
   */
  @Test
  void aRetryIsDueWhenTheClockHasPassedItsBackoffAndNotBefore() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    connector.publishAnswer = new CallResult.NotSent("platform_unavailable", "503", null);
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.waiting() == 1);
    connector.publishAnswer = new CallResult.Published("post-1", "https://m/1");

    clock.advance(Duration.ofMillis(4));
    assertThat(scheduler.waiting()).as("the retry is not due before 5 ms").isEqualTo(1);
    assertThat(connector.calls).containsExactly("publish:t1");

    clock.advance(Duration.ofMillis(6));
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("publish:t1", "publish:t1");
    assertThat(outcomes().get(0).status()).isEqualTo(TargetOutcome.Status.published);
    assertThat(scheduler.waiting()).isZero();
  }
}
