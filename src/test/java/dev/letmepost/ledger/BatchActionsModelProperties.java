package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.streams.test.TestRecord;
import org.slf4j.LoggerFactory;

/**
 * A model-based property of the batch actions (docs/contract.md#batch-actions, issue 18): random
 * interleavings of posts (now and scheduled), cancels, reschedules and retries (retries of
 * retries), under a few idempotency keys and none, with duplicate sends of earlier commands;
 * outcomes of every kind (published, failed retryable, failed not retryable, unknown, duplicates
 * and late ones, none at all); wall-clock ticks that release scheduled batches and close overdue
 * ones; and restarts ({@link LedgerHarness#restart()}: new processors over the same stores).
 *
 * <p>Checked after every step, against a model that knows only what the test did:
 *
 * <ul>
 *   <li>each target of an original post reaches a platform (a task on a publish topic) at most
 *       once, unless every earlier attempt at it, in the original batch or a retry batch of its
 *       chain, was answered {@code failed} with {@code retryable: true}: proven not published;
 *   <li>no command is answered twice, and in the end every command is answered;
 *   <li>an answer marked replayed is the first recorded answer of its key, byte for byte.
 * </ul>
 *
 * <p>100 tries took 85 to 133 s while other builds shared this 2-core machine (LedgerProperties, 8
 * s idle, took 108 s alongside): {@code ./mvnw -B test -Dtest=BatchActionsModelProperties}.
 */
class BatchActionsModelProperties {
  /** Idempotency keys; the last entry stands for "no key". */
  private static final List<String> KEYS = Arrays.asList("K0", "K1", "K2", null);

  private static final List<String> POSTS =
      List.of(
          body("acc_tw", "acc_li"),
          body("acc_bs"),
          scheduled(T0.plus(Duration.ofMinutes(5)), "acc_tw", "acc_li"),
          scheduled(T0.plus(Duration.ofMinutes(20)), "acc_li", "acc_bs"));

  private static final List<Integer> TICK_SECONDS = List.of(1, 30, 120, 360);
  private static final List<Integer> RESCHEDULE_MINUTES = List.of(0, 2, 15);
  private static final String UNKNOWN_BATCH = "batch_00000000000000000000000000";

  private static Level savedLevel;

  @BeforeContainer
  static void quietIgnoredOutcomes() {
    // Late and duplicate outcomes are logged (WARN/INFO) by FoldOutcome; here they are expected.
    Logger ledgerLog = (Logger) LoggerFactory.getLogger("dev.letmepost.ledger");
    savedLevel = ledgerLog.getLevel();
    ledgerLog.setLevel(Level.ERROR);
  }

  @AfterContainer
  static void restoreLogging() {
    ((Logger) LoggerFactory.getLogger("dev.letmepost.ledger")).setLevel(savedLevel);
  }

  static String scheduled(Instant at, String... accountIds) {
    String b = body(accountIds);
    return b.substring(0, b.length() - 1) + ",\"scheduledAt\":\"" + at + "\"}";
  }

  // ---- the steps ----

  sealed interface Step {}

  record Post(int body, int key) implements Step {}

  record Cancel(int batch, int key) implements Step {}

  record Reschedule(int batch, int key, int minutes) implements Step {}

  record Retry(int batch, int key) implements Step {}

  /** Sends an earlier command again, byte for byte, under a new request id. */
  record Resend(int command) implements Step {}

  /** An outcome for a task: kind 0 published, 1 failed retryable, 2 failed, 3 unknown. */
  record Outcome(int task, int kind) implements Step {}

  record Tick(int seconds) implements Step {}

  record Restart() implements Step {}

  @Provide
  Arbitrary<List<Step>> scenarios() {
    Arbitrary<Integer> any = Arbitraries.integers().between(0, 1_000);
    Arbitrary<Integer> key = Arbitraries.integers().between(0, KEYS.size() - 1);
    Arbitrary<Step> post =
        Combinators.combine(Arbitraries.integers().between(0, POSTS.size() - 1), key).as(Post::new);
    Arbitrary<Step> cancel = Combinators.combine(any, key).as(Cancel::new);
    Arbitrary<Step> reschedule =
        Combinators.combine(
                any, key, Arbitraries.integers().between(0, RESCHEDULE_MINUTES.size() - 1))
            .as(Reschedule::new);
    Arbitrary<Step> retry = Combinators.combine(any, key).as(Retry::new);
    Arbitrary<Step> resend = any.map(Resend::new);
    Arbitrary<Step> outcome =
        Combinators.combine(any, Arbitraries.integers().between(0, 3)).as(Outcome::new);
    Arbitrary<Step> tick =
        Arbitraries.integers().between(0, TICK_SECONDS.size() - 1).map(Tick::new);
    Arbitrary<Step> restart = Arbitraries.just(new Restart());
    Arbitrary<Step> step =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, post),
            net.jqwik.api.Tuple.of(2, cancel),
            net.jqwik.api.Tuple.of(2, reschedule),
            net.jqwik.api.Tuple.of(5, retry),
            net.jqwik.api.Tuple.of(3, resend),
            net.jqwik.api.Tuple.of(7, outcome),
            net.jqwik.api.Tuple.of(3, tick),
            net.jqwik.api.Tuple.of(1, restart));
    return step.list().ofMinSize(5).ofMaxSize(40);
  }

  @Property(tries = 100, edgeCases = EdgeCasesMode.NONE)
  void eachTargetReachesAPlatformOnceUnlessProvenFailedAndEveryCommandIsAnsweredOnce(
      @ForAll("scenarios") List<Step> steps) {
    Run run = new Run();
    try {
      for (Step s : steps) {
        run.step(s);
      }
      run.drain();
    } finally {
      run.ledger.close();
    }
  }

  // ---- the model ----

  /** A command the test sent. */
  record Sent(
      String requestId,
      String method,
      String path,
      String key,
      String body,
      boolean post,
      String retryOf) {
    String scope() {
      return method + " " + path + " " + key;
    }
  }

  private static final int PUBLISHED = 0;
  private static final int FAILED_RETRYABLE = 1;
  private static final int FAILED = 2;

  static final class Run {
    LedgerHarness ledger =
        new LedgerHarness()
            .account("acc_tw", "twitter")
            .account("acc_li", "linkedin")
            .account("acc_bs", "bluesky");

    final List<Sent> sent = new ArrayList<>();
    final Map<String, Sent> byRequest = new HashMap<>();
    final Set<String> answered = new HashSet<>();

    /** Per key scope, the first recorded answer: status, then the body as text. */
    final Map<String, String> firstAnswer = new HashMap<>();

    /** Batch id to the original batch of its retry chain (itself for an original). */
    final Map<String, String> root = new LinkedHashMap<>();

    final List<String> batches = new ArrayList<>();
    final List<PublishTask> tasks = new ArrayList<>();
    final Set<String> taskIds = new HashSet<>();

    /** Task id to the first outcome kind the test sent for it. */
    final Map<String, Integer> fed = new HashMap<>();

    /** Original batch + account to the tasks that tried it, in order. */
    final Map<String, List<String>> attempts = new HashMap<>();

    int requests;

    void step(Step s) {
      if (s instanceof Post p) {
        send("POST", "/v1/posts", KEYS.get(p.key()), POSTS.get(p.body()), null);
      } else if (s instanceof Cancel c) {
        send("DELETE", "/v1/batches/" + batch(c.batch()), key(c.key()), "", null);
      } else if (s instanceof Reschedule r) {
        Instant to =
            ledger.wallClock().plus(Duration.ofMinutes(RESCHEDULE_MINUTES.get(r.minutes())));
        send(
            "PATCH",
            "/v1/batches/" + batch(r.batch()),
            key(r.key()),
            "{\"scheduledAt\":\"" + to + "\"}",
            null);
      } else if (s instanceof Retry r) {
        String id = batch(r.batch());
        send("POST", "/v1/batches/" + id + "/retry", key(r.key()), "", id);
      } else if (s instanceof Resend r) {
        if (!sent.isEmpty()) {
          Sent earlier = sent.get(r.command() % sent.size());
          send(earlier.method(), earlier.path(), earlier.key(), earlier.body(), earlier.retryOf());
        }
      } else if (s instanceof Outcome o) {
        outcome(o);
      } else if (s instanceof Tick t) {
        ledger.advanceWallClock(Duration.ofSeconds(TICK_SECONDS.get(t.seconds())));
        collect();
      } else {
        ledger = ledger.restart();
      }
    }

    private static String key(int i) {
      return KEYS.get(i);
    }

    private String batch(int i) {
      return batches.isEmpty() ? UNKNOWN_BATCH : batches.get(i % batches.size());
    }

    private void send(String method, String path, String key, String body, String retryOf) {
      String requestId = "req-" + requests++;
      Sent s = new Sent(requestId, method, path, key, body, path.equals("/v1/posts"), retryOf);
      sent.add(s);
      byRequest.put(requestId, s);
      LedgerHarness.Cmd cmd =
          ledger
              .command(body)
              .header(LmpHeaders.METHOD, method.getBytes(StandardCharsets.UTF_8))
              .header(LmpHeaders.PATH, path.getBytes(StandardCharsets.UTF_8))
              .request(requestId)
              .at(ledger.wallClock());
      if (key != null) {
        cmd.key(key);
      }
      cmd.send();
      collect();
    }

    private void outcome(Outcome o) {
      if (tasks.isEmpty()) {
        return;
      }
      PublishTask t = tasks.get(o.task() % tasks.size());
      TargetOutcome outcome =
          switch (o.kind()) {
            case PUBLISHED -> TargetOutcome.published(t, "post-" + t.taskId(), "sandbox://post");
            case FAILED_RETRYABLE ->
                TargetOutcome.failed(t, new TargetError("rate_limited", "slow down", true));
            case FAILED -> TargetOutcome.failed(t, new TargetError("rejected", "no", false));
            default -> TargetOutcome.unknown(t, "the call timed out");
          };
      fed.putIfAbsent(t.taskId(), o.kind());
      ledger.outcome(outcome, ledger.wallClock());
      collect();
    }

    /** Reads every task and answer the last step made and checks them against the model. */
    void collect() {
      for (PublishTask t : ledger.allTasks()) {
        assertThat(taskIds.add(t.taskId())).as("task %s sent twice", t.taskId()).isTrue();
        String original = rootOf(t.batchId(), null);
        String target = original + " / " + t.accountId();
        List<String> earlier = attempts.computeIfAbsent(target, k -> new ArrayList<>());
        for (String e : earlier) {
          assertThat(fed.get(e))
              .as(
                  "target %s sent again (task %s of %s) while its earlier attempt %s was %s, not"
                      + " failed with retryable: true",
                  target, t.taskId(), t.batchId(), e, fed.get(e))
              .isEqualTo(FAILED_RETRYABLE);
        }
        earlier.add(t.taskId());
        tasks.add(t);
      }
      for (TestRecord<String, byte[]> r : ledger.results()) {
        Sent s = byRequest.get(r.key());
        assertThat(s).as("an answer to a request never sent: %s", r.key()).isNotNull();
        assertThat(answered.add(r.key())).as("%s answered twice", r.key()).isTrue();
        String batchId = header(r, LmpHeaders.BATCH_ID);
        if (batchId != null && !root.containsKey(batchId)) {
          rootOf(batchId, s);
        }
        checkReplay(s, r);
      }
    }

    /**
     * The original batch of {@code batchId}'s chain; a batch first seen here is an original when
     * {@code by} (the request answered with it, else the last command sent) is a post, else a retry
     * batch of the batch {@code by} retried.
     */
    private String rootOf(String batchId, Sent by) {
      String known = root.get(batchId);
      if (known != null) {
        return known;
      }
      Sent s = by != null ? by : sent.isEmpty() ? null : sent.get(sent.size() - 1);
      assertThat(s).as("batch %s appeared with no command", batchId).isNotNull();
      String r;
      if (s.post()) {
        r = batchId;
      } else {
        assertThat(s.retryOf()).as("batch %s appeared after %s", batchId, s).isNotNull();
        r = root.get(s.retryOf());
        assertThat(r).as("batch %s retries unknown %s", batchId, s.retryOf()).isNotNull();
      }
      root.put(batchId, r);
      batches.add(batchId);
      return r;
    }

    private void checkReplay(Sent s, TestRecord<String, byte[]> r) {
      if (s.key() == null) {
        // A keyless command's fingerprint comes from its source offset, which a restarted
        // TopologyTestDriver starts again at 0 (LedgerHarness#restart): it may meet the record of
        // a keyless command sent before the restart.
        return;
      }
      String answer =
          header(r, LmpHeaders.STATUS) + " " + new String(r.value(), StandardCharsets.UTF_8);
      if ("true".equals(header(r, LmpHeaders.REPLAYED))) {
        assertThat(answer)
            .as("replay of %s (%s)", s.scope(), s.requestId())
            .isEqualTo(firstAnswer.get(s.scope()));
        return;
      }
      int status = Integer.parseInt(header(r, LmpHeaders.STATUS));
      String code = status >= 400 ? json(r.value()).at("/error/code").asText() : "";
      boolean recorded =
          status != 400
              && status != 404
              && status != 500
              && status != 503
              && !code.equals("idempotency_conflict")
              && !code.equals("idempotency_in_progress");
      if (recorded) {
        assertThat(firstAnswer.putIfAbsent(s.scope(), answer))
            .as("%s answered afresh (%s) within its TTL", s.scope(), s.requestId())
            .isNull();
      }
    }

    /**
     * Lets every scheduled batch go and every deadline pass, then checks every command was
     * answered.
     */
    void drain() {
      ledger.advanceWallClock(Duration.ofHours(2));
      collect();
      for (int i = 0; i < 3; i++) {
        ledger.advanceWallClock(
            LedgerConfig.DEFAULT_DEADLINE.plus(LedgerConfig.DEFAULT_OUTCOME_GRACE).plusSeconds(1));
        collect();
      }
      assertThat(ledger.timers()).as("no batch left open").isEmpty();
      List<String> unanswered =
          sent.stream().map(Sent::requestId).filter(id -> !answered.contains(id)).toList();
      assertThat(unanswered).as("commands never answered").isEmpty();
    }
  }
}
