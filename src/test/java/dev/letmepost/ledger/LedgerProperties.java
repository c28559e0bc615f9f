package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.PRINCIPAL;
import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
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
import java.util.TreeMap;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.streams.test.TestRecord;
import org.slf4j.LoggerFactory;

/**
 * Model-based properties of the ledger's idempotency table
 * (docs/contract.md#the-idempotency-table): random interleavings of commands (few keys, a few
 * bodies, two principals, retries), outcomes (in any order, duplicated, late or never) and time
 * (record timestamps and the wall clock, crossing a short TTL and the target deadline), run on a
 * fresh {@link LedgerHarness} and checked step by step against a small model of the replay records,
 * including the lifecycle events each step must write (property 6: exactly one per state change,
 * none for replays, waiters, conflicts and preflight failures).
 *
 * <p>150 tries take about 8 s: {@code mvn -B -q test -Dtest=LedgerProperties}.
 */
class LedgerProperties {
  /*
   * The model: per (principal, idempotency key) the batch of the latest TTL period, with its
   * first-request time, body, per-target state, waiters and whether it is complete. A keyed
   * command filed at t meets that batch when t < first + ttl; otherwise (and always without a
   * key) it starts a new one, unless its body fails preflight, which records nothing. A batch
   * completes when its last open target gets its first outcome, or when the wall clock reaches
   * its deadline plus the outcome grace (open targets end unknown, on the ledger's tick), or at once
   * when no target got a task.
   *
   * Time: record timestamps never decrease and stay within LEAD of the wall clock, half the
   * default skew allowance, so a command is filed under its own timestamp (clamping is tested in
   * LedgerTopologyTest) and a running batch stays inside the store's retention (2 LEAD + deadline
   * < ttl + skew). Timestamps running ahead of a still wall clock are what a ledger catching up
   * on a backlog sees: Kafka Streams gives every record of one processing batch the same
   * system time. The wall clock moves in whole seconds so that the 1 s expire-overdue
   * punctuator runs on every move and deadlines close on the move that reaches them.
   */
  private static final Duration TTL = Duration.ofMinutes(40);

  /**
   * Record timestamps run up to LEAD (30 min) behind the wall clock, so the lag the ledger decides
   * must exceed it, and LedgerConfig wants it shorter than the TTL (LiveRecord relies on it): 35
   * min, with a TTL of 40 min.
   */
  private static final Duration MAX_LAG = Duration.ofMinutes(35);

  private static final Duration DEADLINE = Duration.ofMinutes(2);
  private static final long GRACE_MS = LedgerConfig.DEFAULT_OUTCOME_GRACE.toMillis();
  private static final int MAX_WAITERS = 2;
  private static final long LEAD_MS = Duration.ofMinutes(30).toMillis();
  private static final long T0_MS = T0.toEpochMilli();

  private static final String BOB = "key_bob";
  private static final List<String> PRINCIPALS = List.of(PRINCIPAL, BOB);
  private static final List<String> PRINCIPAL_NAMES = List.of("alice", "bob");

  /** Idempotency keys; the last entry stands for "no key". */
  private static final List<String> KEYS = Arrays.asList("K0", "K1", "K2", null);

  private static final int INVALID = 3;
  private static final List<String> BODIES =
      List.of(
          body("acc_tw"),
          body("acc_tw", "acc_li", "acc_bs"),
          "{\"targets\":[{\"platform\":\"bluesky\"},{\"accountId\":\"acc_li\"}],\"text\":\"shipped\"}",
          "{\"targets\":[],\"text\":\"shipped\"}");
  private static final int[] TARGETS = {1, 3, 2};

  /**
   * The target indexes that get a publish task, by principal then valid body; the others fail
   * before publishing (bob owns only acc_bob, his bluesky default, and acc_li is not his).
   */
  private static final List<List<List<Integer>>> TASKS =
      List.of(
          List.of(List.of(0), List.of(0, 1, 2), List.of(0, 1)),
          List.of(List.of(), List.of(), List.of(0)));

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

  @Property(tries = 150, edgeCases = EdgeCasesMode.NONE)
  void everyRequestIsAnsweredOnceAsTheIdempotencyTableSays(
      @ForAll("scenarios") List<Action> actions) {
    LedgerHarness ledger =
        new LedgerHarness(
            c ->
                c.with(
                    v -> {
                      v.maxCommandLag = MAX_LAG;
                      v.replayTtl = TTL;
                      v.targetDeadline = DEADLINE;
                      v.maxWaiters = MAX_WAITERS;
                    }));
    try {
      ledger
          .account("acc_tw", "twitter")
          .account("acc_li", "linkedin")
          .account("acc_bs", "bluesky")
          .account(
              new Account(
                  "acc_bob", BOB, "bluesky", "@bob", Account.Status.connected, null, false));
      Run run = new Run(ledger);
      for (int i = 0; i < actions.size(); i++) {
        run.step(i, actions.get(i));
      }
      run.drain(actions.size());
      run.assertWholeRun();
    } finally {
      ledger.close();
    }
  }

  @Provide
  Arbitrary<List<Action>> scenarios() {
    Arbitrary<Integer> principal = Arbitraries.frequency(Tuple.of(3, 0), Tuple.of(1, 1));
    Arbitrary<Integer> key =
        Arbitraries.frequency(Tuple.of(4, 0), Tuple.of(3, 1), Tuple.of(2, 2), Tuple.of(1, 3));
    Arbitrary<Integer> bodyIndex =
        Arbitraries.frequency(Tuple.of(4, 0), Tuple.of(3, 1), Tuple.of(3, 2), Tuple.of(1, INVALID));
    Arbitrary<Action> send = Combinators.combine(principal, key, bodyIndex).as(Send::new);
    Arbitrary<Action> deliver =
        Combinators.combine(
                Arbitraries.integers().between(0, 20),
                Arbitraries.frequency(Tuple.of(3, true), Tuple.of(1, false)),
                Arbitraries.frequency(Tuple.of(4, false), Tuple.of(1, true)))
            .as(Deliver::new);
    Arbitrary<Action> tick =
        Combinators.combine(
                Arbitraries.of(
                    0L, 1L, 1_000L, 30_000L, 60_000L, 180_000L, 300_000L, 599_999L, 600_000L),
                Arbitraries.of(0L, 1L, 30L, 60L, 120L, 180L, 600L))
            .as(Tick::new);
    Arbitrary<Action> retry =
        Arbitraries.frequency(Tuple.of(5, 0), Tuple.of(2, 1), Tuple.of(1, 2), Tuple.of(1, 3))
            .map(Retry::new);
    Arbitrary<Action> edge =
        Combinators.combine(
                principal, Arbitraries.integers().between(0, 2), Arbitraries.of(-1L, 0L, 1L))
            .as(TtlEdge::new);
    return Arbitraries.frequencyOf(
            Tuple.of(6, send),
            Tuple.of(5, retry),
            Tuple.of(5, deliver),
            Tuple.of(3, tick),
            Tuple.of(2, edge))
        .list()
        .ofMinSize(5)
        .ofMaxSize(40)
        .withSizeDistribution(RandomDistribution.uniform());
  }

  /** One move of the scenario. */
  sealed interface Action permits Send, Retry, Deliver, Tick, TtlEdge {}

  /** A post command by principal / key / body index (3 is the body that fails preflight). */
  record Send(int principal, int key, int body) implements Action {
    @Override
    public String toString() {
      String k = KEYS.get(key) == null ? "no-key" : KEYS.get(key);
      return "send("
          + PRINCIPAL_NAMES.get(principal)
          + ", "
          + k
          + ", "
          + (body == INVALID ? "INVALID" : "B" + body)
          + ")";
    }
  }

  /** A client retry: sends the keyed command sent {@code back} keyed commands ago again. */
  record Retry(int back) implements Action {
    @Override
    public String toString() {
      return "retry(" + back + " back)";
    }
  }

  /**
   * An outcome for an emitted task: with {@code again}, one that already had an outcome (a
   * duplicate); otherwise one that had none yet. {@code pick} chooses among them.
   */
  record Deliver(int pick, boolean published, boolean again) implements Action {
    @Override
    public String toString() {
      return (again ? "redeliver(" : "deliver(")
          + pick
          + ", "
          + (published ? "published" : "failed")
          + ")";
    }
  }

  /** Moves the record timestamp by {@code tsMillis} and the wall clock by {@code wallSeconds}. */
  record Tick(long tsMillis, long wallSeconds) implements Action {
    @Override
    public String toString() {
      return "tick(ts +" + tsMillis + "ms, wall +" + wallSeconds + "s)";
    }
  }

  /** Moves the record timestamp to first + ttl + delta of the key's latest batch, if ahead. */
  record TtlEdge(int principal, int key, long deltaMillis) implements Action {
    @Override
    public String toString() {
      return "toTtlEdge("
          + PRINCIPAL_NAMES.get(principal)
          + ", "
          + KEYS.get(key)
          + ", "
          + (deltaMillis >= 0 ? "+" : "")
          + deltaMillis
          + "ms)";
    }
  }

  /** The model's batch: one replay record of one TTL period. */
  private static final class Batch {
    final String period;
    final String requestId;
    final int body;
    final long first;

    /** Target index -> status name; null while the target is open. */
    final Map<Integer, String> targets = new TreeMap<>();

    final List<String> waiters = new ArrayList<>();
    long deadline;
    boolean complete;
    int status;
    String batchStatus;

    Batch(String period, String requestId, int body, long first, List<Integer> tasked) {
      this.period = period;
      this.requestId = requestId;
      this.body = body;
      this.first = first;
      for (int i = 0; i < TARGETS[body]; i++) {
        targets.put(i, tasked.contains(i) ? null : "failed");
      }
    }

    boolean allClosed() {
      return targets.values().stream().allMatch(s -> s != null);
    }

    /**
     * Completes the batch: the answers its request and waiters get now; adds the events it emits to
     * {@code events} (target.unknown for each target still open, then batch.completed).
     */
    List<Expected> complete(List<String> events) {
      targets.forEach(
          (i, s) -> {
            if (s == null) {
              events.add(event(this, PostEvent.TARGET_UNKNOWN, i));
            }
          });
      events.add(event(this, PostEvent.BATCH_COMPLETED, null));
      targets.replaceAll((i, s) -> s == null ? "unknown" : s);
      long published = targets.values().stream().filter("published"::equals).count();
      batchStatus =
          published == targets.size() ? "published" : published == 0 ? "failed" : "partial_failed";
      status = published == targets.size() ? 201 : 207;
      complete = true;
      List<Expected> answers = new ArrayList<>();
      answers.add(Expected.batch(requestId, Kind.NEW, false, this));
      for (String w : waiters) {
        answers.add(Expected.batch(w, Kind.WAIT, true, this));
      }
      waiters.clear();
      return answers;
    }
  }

  /** An event as the model predicts it: batch period, type, target index. */
  private static String event(Batch b, String type, Integer index) {
    return b.period + " " + type + (index == null ? "" : " " + index);
  }

  /** The answer kinds of the idempotency table. */
  enum Kind {
    NEW,
    REPLAY,
    WAIT,
    IN_PROGRESS,
    CONFLICT,
    PREFLIGHT
  }

  /** What the model expects one answer to be; {@code about} null for a preflight 400. */
  private record Expected(
      String requestId, Kind kind, int status, boolean replayed, String code, Batch about) {
    static Expected batch(String requestId, Kind kind, boolean replayed, Batch b) {
      return new Expected(requestId, kind, b.status, replayed, null, b);
    }

    static Expected error(String requestId, Kind kind, int status, String code, Batch live) {
      return new Expected(requestId, kind, status, false, code, live);
    }
  }

  /** One answer the ledger gave, with the TTL period the model put its request in. */
  private record Answer(TestRecord<String, byte[]> record, String period) {}

  /** One scenario against one ledger: the model, everything observed, and the checks. */
  private static final class Run {
    private final LedgerHarness ledger;
    private long ts = T0_MS;
    private long wall = T0_MS;
    private int requests;
    private int keyless;
    private final Map<String, Batch> latest = new HashMap<>();
    private final List<Batch> batches = new ArrayList<>();
    private final Map<String, Batch> byBatchId = new HashMap<>();

    /** The events the model predicts for the current step (see {@link #event}). */
    private final List<String> predicted = new ArrayList<>();

    /** Every batch's events as written, by batch id. */
    private final Map<String, List<PostEvent>> events = new LinkedHashMap<>();

    /** The model's batch of each batch id seen in an event. */
    private final Map<String, Batch> byEventBatchId = new HashMap<>();

    private final List<PublishTask> tasks = new ArrayList<>();
    private final Set<String> delivered = new HashSet<>();
    private final List<String> sent = new ArrayList<>();
    private final List<Send> keyed = new ArrayList<>();
    private final List<Answer> answers = new ArrayList<>();

    Run(LedgerHarness ledger) {
      this.ledger = ledger;
    }

    void step(int n, Action action) {
      List<Expected> expected = new ArrayList<>();
      predicted.clear();
      Batch started = null;
      Expected immediate = null;
      String label = action.toString();
      if (action instanceof Retry r && !keyed.isEmpty()) {
        action = keyed.get(keyed.size() - 1 - r.back() % keyed.size());
        label += " = " + action;
      }
      if (action instanceof Send s) {
        String requestId = "req-" + (++requests);
        sent.add(requestId);
        String principal = PRINCIPALS.get(s.principal());
        String key = KEYS.get(s.key());
        label += " as " + requestId;
        if (key != null) {
          keyed.add(s);
        }
        Batch live = key == null ? null : latest.get(principal + "|" + key);
        if (live != null && ts >= live.first + TTL.toMillis()) {
          live = null;
        }
        if (live != null) {
          if (live.body != s.body()) {
            immediate = Expected.error(requestId, Kind.CONFLICT, 422, "idempotency_conflict", live);
          } else if (live.complete) {
            immediate = Expected.batch(requestId, Kind.REPLAY, true, live);
          } else if (live.waiters.size() >= MAX_WAITERS) {
            immediate =
                Expected.error(requestId, Kind.IN_PROGRESS, 409, "idempotency_in_progress", live);
          } else {
            live.waiters.add(requestId);
          }
        } else if (s.body() == INVALID) {
          immediate = Expected.error(requestId, Kind.PREFLIGHT, 400, "preflight_failed", null);
        } else {
          String period =
              key == null
                  ? "no-key#" + (++keyless)
                  : PRINCIPAL_NAMES.get(s.principal()) + "/" + key + "@+" + (ts - T0_MS) + "ms";
          started =
              new Batch(period, requestId, s.body(), ts, TASKS.get(s.principal()).get(s.body()));
          batches.add(started);
          if (key != null) {
            latest.put(principal + "|" + key, started);
          }
          predicted.add(event(started, PostEvent.BATCH_ACCEPTED, null));
          for (var t : started.targets.entrySet()) {
            if (t.getValue() != null) {
              predicted.add(event(started, PostEvent.TARGET_FAILED, t.getKey()));
            }
          }
          if (started.allClosed()) {
            expected.addAll(started.complete(predicted));
          }
        }
        if (immediate != null) {
          expected.add(immediate);
        }
        LedgerHarness.Cmd cmd =
            ledger
                .command(BODIES.get(s.body()))
                .principal(principal)
                .request(requestId)
                .at(Instant.ofEpochMilli(ts));
        if (key != null) {
          cmd.key(key);
        }
        cmd.send();
      } else if (action instanceof Deliver d) {
        List<PublishTask> pool =
            tasks.stream().filter(t -> delivered.contains(t.taskId()) == d.again()).toList();
        if (!pool.isEmpty()) {
          PublishTask task = pool.get(d.pick() % pool.size());
          label +=
              " of "
                  + task.taskId()
                  + " ("
                  + byBatchId.get(task.batchId()).period
                  + " targets["
                  + task.targetIndex()
                  + "])";
          delivered.add(task.taskId());
          ledger.outcome(
              d.published()
                  ? TargetOutcome.published(
                      task, "post-" + task.taskId(), "sandbox://" + task.taskId())
                  : TargetOutcome.failed(task, new TargetError("rate_limited", "slow down", true)),
              Instant.ofEpochMilli(ts));
          Batch b = byBatchId.get(task.batchId());
          if (!b.complete && b.targets.get(task.targetIndex()) == null) {
            b.targets.put(task.targetIndex(), d.published() ? "published" : "failed");
            predicted.add(
                event(
                    b,
                    d.published() ? PostEvent.TARGET_PUBLISHED : PostEvent.TARGET_FAILED,
                    task.targetIndex()));
            if (b.allClosed()) {
              expected.addAll(b.complete(predicted));
            }
          }
        }
      } else if (action instanceof Tick t) {
        moveTime(ts + t.tsMillis(), wall + t.wallSeconds() * 1000, expected);
      } else if (action instanceof TtlEdge e) {
        Batch b = latest.get(PRINCIPALS.get(e.principal()) + "|" + KEYS.get(e.key()));
        if (b != null && b.first + TTL.toMillis() + e.deltaMillis() >= ts) {
          moveTime(b.first + TTL.toMillis() + e.deltaMillis(), wall, expected);
        }
      }
      check("step " + n + " " + label, started, immediate, expected);
    }

    /** Completes every batch: the wall clock passes every deadline. */
    void drain(int n) {
      List<Expected> expected = new ArrayList<>();
      predicted.clear();
      moveTime(
          ts + DEADLINE.toMillis() + GRACE_MS + 1000,
          wall + DEADLINE.toMillis() + GRACE_MS + 1000,
          expected);
      check("step " + n + " final drain past every deadline", null, null, expected);
      assertThat(batches.stream().filter(b -> !b.complete).map(b -> b.period).toList())
          .as("model: every batch complete after the drain")
          .isEmpty();
    }

    /** Moves both clocks forward, keeping them within LEAD and the wall clock on whole seconds. */
    private void moveTime(long newTs, long newWall, List<Expected> expected) {
      if (newTs > newWall + LEAD_MS) {
        newWall = newTs - LEAD_MS;
      }
      newWall = T0_MS + ceilSeconds(newWall - T0_MS);
      if (newWall > newTs + LEAD_MS) {
        newTs = newWall - LEAD_MS;
      }
      ts = newTs;
      if (newWall > wall) {
        ledger.advanceWallClock(Duration.ofMillis(newWall - wall));
        wall = newWall;
        for (Batch b : batches) {
          if (!b.complete && b.deadline != 0 && b.deadline + GRACE_MS <= wall) {
            expected.addAll(b.complete(predicted));
          }
        }
      }
    }

    private static long ceilSeconds(long ms) {
      return (ms + 999) / 1000 * 1000;
    }

    private void check(String step, Batch started, Expected immediate, List<Expected> expected) {
      String at = step + " [ts +" + (ts - T0_MS) + "ms, wall +" + (wall - T0_MS) + "ms]";
      List<TestRecord<String, byte[]>> results = ledger.results();
      List<PublishTask> emitted = ledger.allTasks();
      assertThat(ledger.deadLetters()).as("%s: dead letters", at).isEmpty();
      checkEvents(at, started);

      // Property 4: a conflicting body publishes nothing.
      if (immediate != null && immediate.kind() == Kind.CONFLICT) {
        assertThat(emitted)
            .as("property 4, %s: a conflicting command publishes nothing", at)
            .isEmpty();
      }

      // Property 5 (and 2, step by step): exactly the predicted requests are answered, as
      // predicted.
      assertThat(results.stream().map(TestRecord::key).toList())
          .as(
              "property 5, %s: requests answered at this step (expected %s)",
              at, describe(expected))
          .containsExactlyInAnyOrderElementsOf(expected.stream().map(Expected::requestId).toList());
      Map<String, Expected> byRequest =
          expected.stream().collect(Collectors.toMap(Expected::requestId, e -> e));
      for (TestRecord<String, byte[]> r : results) {
        Expected e = byRequest.get(r.key());
        String what = at + ": answer to " + r.key() + " (expected " + e.kind() + ")";
        assertThat(header(r, LmpHeaders.STATUS))
            .as("property 5, %s: status", what)
            .isEqualTo(Integer.toString(e.status()));
        assertThat(header(r, LmpHeaders.REPLAYED))
            .as("%s: idempotent-replayed", what)
            .isEqualTo(Boolean.toString(e.replayed()));
        assertThat(header(r, LmpHeaders.KEY_EXPIRES))
            .as("%s: key expiry", what)
            .isEqualTo(e.about() == null ? null : Rfc3339.format(e.about().first + TTL.toMillis()));
        if (e.code() != null) {
          assertThat(json(r.value()).at("/error/code").asText())
              .as("property 5, %s: error code", what)
              .isEqualTo(e.code());
        } else {
          assertThat(json(r.value()).get("status").asText())
              .as("%s: batch status", what)
              .isEqualTo(e.about().batchStatus);
        }
        answers.add(new Answer(r, e.about() == null || e.code() != null ? null : e.about().period));
      }

      // Tasks: only a new batch fans out, once per target that passed.
      if (started == null) {
        assertThat(emitted).as("%s: tasks emitted (no new batch)", at).isEmpty();
        return;
      }
      assertThat(emitted.stream().map(PublishTask::targetIndex).toList())
          .as("property 5, %s: new batch %s fans out these target indexes", at, started.period)
          .containsExactlyInAnyOrderElementsOf(
              started.targets.entrySet().stream()
                  .filter(t -> t.getValue() == null)
                  .map(Map.Entry::getKey)
                  .toList());
      for (PublishTask t : emitted) {
        assertThat(t.recordedAt())
            .as(
                "%s: task %s filed under the later of the command's timestamp and the wall clock"
                    + " (the next free millisecond of its key)",
                at, t.taskId())
            .isBetween(Math.max(started.first, wall), Math.max(started.first, wall) + 10);
        assertThat(t.deadline())
            .as("%s: task %s deadline", at, t.taskId())
            .isEqualTo(wall + DEADLINE.toMillis());
        assertThat(t.batchId())
            .as("%s: one batch id per new batch", at)
            .isEqualTo(emitted.get(0).batchId());
        assertThat(byBatchId)
            .as("%s: batch id %s is new", at, t.batchId())
            .doesNotContainKey(t.batchId());
      }
      if (!emitted.isEmpty()) {
        byBatchId.put(emitted.get(0).batchId(), started);
        started.deadline = wall + DEADLINE.toMillis();
        tasks.addAll(emitted);
      }
    }

    /**
     * Property 6: the events written at this step are exactly the state changes the model made (a
     * new batch's acceptance and its targets failed before publishing, each target's first outcome,
     * each deadline closing a target, each completion); replays, waiters, conflicts, duplicate
     * outcomes and preflight failures write none.
     */
    private void checkEvents(String at, Batch started) {
      List<PostEvent> written = ledger.eventValues();
      for (PostEvent e : written) {
        if (started != null && e.type().equals(PostEvent.BATCH_ACCEPTED)) {
          assertThat(byEventBatchId)
              .as("property 6, %s: batch id %s is new", at, e.batchId())
              .doesNotContainKey(e.batchId());
          byEventBatchId.put(e.batchId(), started);
        }
        events.computeIfAbsent(e.batchId(), b -> new ArrayList<>()).add(e);
      }
      List<String> actual = new ArrayList<>();
      for (PostEvent e : written) {
        Batch b = byEventBatchId.get(e.batchId());
        assertThat(b).as("property 6, %s: event %s of a batch the model knows", at, e).isNotNull();
        JsonNode index = e.data().get("targetIndex");
        actual.add(event(b, e.type(), index == null ? null : index.asInt()));
      }
      assertThat(actual)
          .as("property 6, %s: events written at this step", at)
          .containsExactlyInAnyOrderElementsOf(predicted);
    }

    void assertWholeRun() {
      // Property 6, whole run: each batch's events are its life told once, in order.
      assertThat(events).hasSameSizeAs(batches);
      events.forEach(
          (batchId, written) -> HostileInputProperties.checkLifecycle(batchId, written, "the run"));

      // Property 1: tasks per (fingerprint, TTL period) are emitted once.
      Map<String, List<Integer>> indexesByPeriod = new LinkedHashMap<>();
      for (PublishTask t : tasks) {
        indexesByPeriod
            .computeIfAbsent(t.fingerprint() + "@" + t.recordedAt(), k -> new ArrayList<>())
            .add(t.targetIndex());
      }
      indexesByPeriod.forEach(
          (period, indexes) ->
              assertThat(indexes)
                  .as("property 1: each target index of %s is published once", period)
                  .doesNotHaveDuplicates());
      assertThat(tasks.stream().map(PublishTask::taskId).toList())
          .as("property 1: each task id is emitted once")
          .doesNotHaveDuplicates();

      // Property 2: every request is answered exactly once, 409 idempotency_in_progress included.
      Map<String, Long> answerCount =
          answers.stream()
              .collect(
                  Collectors.groupingBy(
                      a -> a.record().key(), TreeMap::new, Collectors.counting()));
      Map<String, Long> once =
          sent.stream().collect(Collectors.toMap(r -> r, r -> 1L, (a, b) -> a, TreeMap::new));
      assertThat(answerCount).as("property 2: answers per request id").isEqualTo(once);

      // Property 3: one fingerprint, one body, one TTL period: one answer, byte for byte.
      Map<String, List<Answer>> byPeriod =
          answers.stream()
              .filter(a -> a.period() != null)
              .collect(
                  Collectors.groupingBy(Answer::period, LinkedHashMap::new, Collectors.toList()));
      byPeriod.forEach(
          (period, same) -> {
            Answer first = same.get(0);
            for (Answer a : same) {
              int status = Integer.parseInt(header(a.record(), LmpHeaders.STATUS));
              assertThat(status)
                  .as("property 3: %s answers no 400/409/422", period)
                  .isNotIn(400, 409, 422);
              assertThat(header(a.record(), LmpHeaders.STATUS))
                  .as(
                      "property 3: status answered to %s equals that to %s (period %s)",
                      a.record().key(), first.record().key(), period)
                  .isEqualTo(header(first.record(), LmpHeaders.STATUS));
              assertThat(a.record().value())
                  .as(
                      "property 3: body answered to %s equals that to %s (period %s)",
                      a.record().key(), first.record().key(), period)
                  .isEqualTo(first.record().value());
            }
          });
    }

    private static String describe(List<Expected> expected) {
      return expected.stream().map(e -> e.requestId() + "=" + e.kind()).toList().toString();
    }
  }
}
