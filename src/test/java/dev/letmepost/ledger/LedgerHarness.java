package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * A broker-less ledger: the real topology on a {@link TopologyTestDriver} with its wall clock and
 * record timestamps under the test's control, plus helpers to send commands and outcomes and to
 * read everything the ledger emitted. Public for the client's round trip ({@code
 * client.LedgerRoundTripTest}), which uses the part it needs.
 */
public final class LedgerHarness implements AutoCloseable {
  public static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");
  public static final String PRINCIPAL = "key_alice";

  final Topics topics = Topics.defaults();
  final LedgerConfig config;
  final TopologyTestDriver driver;
  private final Path stateDir;
  private final TestInputTopic<byte[], byte[]> commands;
  private final TestInputTopic<String, TargetOutcome> outcomes;
  private final TestInputTopic<String, Account> accounts;
  private final TestOutputTopic<String, byte[]> results;
  private final TestOutputTopic<byte[], byte[]> deadLetters;
  private final TestOutputTopic<String, byte[]> events;
  private final Map<Platform, TestOutputTopic<String, PublishTask>> publish =
      new EnumMap<>(Platform.class);
  private final java.util.function.UnaryOperator<LedgerConfig> tweak;
  private final java.util.function.Function<byte[], dev.letmepost.command.Preflight.Result>
      preflight;
  private final CommitPacer.Request request;
  private final Effects.Fault fault;

  /** The accounts piped so far, by id (null: removed), for {@link #restart()}. */
  private final Map<String, Account> accountsPiped = new java.util.LinkedHashMap<>();

  /** The driver's wall clock: its start plus every {@link #advanceWallClock} since. */
  private Instant wallClock;

  public LedgerHarness() {
    this(c -> c);
  }

  LedgerHarness(java.util.function.UnaryOperator<LedgerConfig> tweak) {
    this(tweak, dev.letmepost.command.Preflight::check);
  }

  /** A ledger whose body check is {@code preflight} (to make deciding throw). */
  LedgerHarness(
      java.util.function.UnaryOperator<LedgerConfig> tweak,
      java.util.function.Function<byte[], dev.letmepost.command.Preflight.Result> preflight) {
    this(tweak, preflight, Effects.Fault.NONE);
  }

  /** A ledger whose deciders call {@code fault} before holding each effect (to fail midway). */
  LedgerHarness(
      java.util.function.UnaryOperator<LedgerConfig> tweak,
      java.util.function.Function<byte[], dev.letmepost.command.Preflight.Result> preflight,
      Effects.Fault fault) {
    this(tweak, preflight, CommitPacer.Request.COMMIT, fault, T0);
  }

  /** A ledger whose early commit requests also go to {@code request} (to record them). */
  LedgerHarness(java.util.function.UnaryOperator<LedgerConfig> tweak, CommitPacer.Request request) {
    this(tweak, dev.letmepost.command.Preflight::check, request, Effects.Fault.NONE, T0);
  }

  private LedgerHarness(
      java.util.function.UnaryOperator<LedgerConfig> tweak,
      java.util.function.Function<byte[], dev.letmepost.command.Preflight.Result> preflight,
      CommitPacer.Request request,
      Effects.Fault fault,
      Instant start) {
    this.tweak = tweak;
    this.preflight = preflight;
    this.request = request;
    this.fault = fault;
    this.wallClock = start;
    this.config = tweak.apply(LedgerConfig.defaults(topics));
    try {
      stateDir = Files.createTempDirectory("ledger-ttd");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Properties p =
        LedgerApp.streamsProperties(
            config, ClientSettings.of("unused:9092"), stateDir, java.util.Map.of());
    driver =
        new TopologyTestDriver(
            LedgerTopology.topology(config, preflight, request, fault), p, start);
    commands =
        driver.createInputTopic(
            topics.commands().name(),
            Serdes.ByteArray().serializer(),
            Serdes.ByteArray().serializer());
    outcomes =
        driver.createInputTopic(
            topics.outcomes().name(),
            Serdes.String().serializer(),
            topics.outcomes().valueSerde().serializer());
    accounts =
        driver.createInputTopic(
            topics.accounts().name(),
            Serdes.String().serializer(),
            topics.accounts().valueSerde().serializer());
    results =
        driver.createOutputTopic(
            topics.results().name(),
            Serdes.String().deserializer(),
            Serdes.ByteArray().deserializer());
    deadLetters =
        driver.createOutputTopic(
            topics.deadLetters().name(),
            Serdes.ByteArray().deserializer(),
            Serdes.ByteArray().deserializer());
    events =
        driver.createOutputTopic(
            topics.events().name(),
            Serdes.String().deserializer(),
            Serdes.ByteArray().deserializer());
    for (Platform platform : Platform.values()) {
      var t = topics.publish(platform);
      publish.put(
          platform,
          driver.createOutputTopic(
              t.name(), Serdes.String().deserializer(), t.valueSerde().deserializer()));
    }
  }

  /** A connected account of {@link #PRINCIPAL}. */
  public LedgerHarness account(String id, String platform) {
    return account(
        new Account(id, PRINCIPAL, platform, "@" + id, Account.Status.connected, null, false));
  }

  LedgerHarness account(Account account) {
    accountsPiped.put(account.accountId(), account);
    accounts.pipeInput(account.accountId(), account, T0);
    return this;
  }

  /** Pipes raw bytes to the accounts topic, as a careless operator might. */
  void rawAccount(String id, String json) {
    driver
        .createInputTopic(
            topics.accounts().name(), Serdes.String().serializer(), Serdes.String().serializer())
        .pipeInput(id, json, T0);
  }

  void removeAccount(String id) {
    accountsPiped.put(id, null);
    accounts.pipeInput(id, null, T0);
  }

  /** A command builder; nothing is sent until {@link Cmd#send()}. */
  Cmd command(String body) {
    return new Cmd(body.getBytes(StandardCharsets.UTF_8));
  }

  Cmd command(byte[] body) {
    return new Cmd(body);
  }

  final class Cmd {
    private final byte[] body;
    private final Headers headers = new RecordHeaders();
    private Instant at = T0;
    private byte[] key = null;
    private boolean principalSet;

    Cmd(byte[] body) {
      this.body = body;
    }

    Cmd key(String idempotencyKey) {
      headers.add(LmpHeaders.IDEMPOTENCY_KEY, idempotencyKey.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    Cmd request(String requestId) {
      headers.add(LmpHeaders.REQUEST_ID, requestId.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    Cmd principal(String principal) {
      principalSet = true;
      if (principal != null) {
        headers.add(LmpHeaders.PRINCIPAL, principal.getBytes(StandardCharsets.UTF_8));
      }
      return this;
    }

    Cmd header(String name, byte[] value) {
      headers.add(name, value);
      return this;
    }

    Cmd at(Instant time) {
      this.at = time;
      return this;
    }

    Cmd recordKey(String producerKey) {
      this.key = producerKey.getBytes(StandardCharsets.UTF_8);
      return this;
    }

    void send() {
      if (!principalSet) {
        headers.add(LmpHeaders.PRINCIPAL, PRINCIPAL.getBytes(StandardCharsets.UTF_8));
      }
      commands.pipeInput(new TestRecord<>(key, body, headers, at));
    }
  }

  /** Pipes a command record as its producer wrote it (the client's {@code Command.toRecord}). */
  public void send(ProducerRecord<byte[], byte[]> command, Instant at) {
    commands.pipeInput(new TestRecord<>(command.key(), command.value(), command.headers(), at));
  }

  public void outcome(TargetOutcome outcome, Instant at) {
    outcomes.pipeInput(new TestRecord<>(outcome.fingerprint(), outcome, at));
  }

  void publishedOutcome(PublishTask task, Instant at) {
    outcome(
        TargetOutcome.published(task, "post-" + task.accountId(), "sandbox://" + task.accountId()),
        at);
  }

  void advanceWallClock(Duration d) {
    wallClock = wallClock.plus(d);
    driver.advanceWallClockTime(d);
  }

  /** The driver's wall clock now. */
  Instant wallClock() {
    return wallClock;
  }

  /**
   * A restart: a new ledger (new processors, a new punctuation schedule, its wall clock where this
   * one's is) over this one's state, the four local stores copied entry by entry, as a restored
   * task finds them, and the accounts piped again; this one is closed. Read every output first:
   * what this one emitted and nobody read is gone.
   *
   * <p>TopologyTestDriver deletes its state directory on close, so the stores are copied rather
   * than reopened. The new driver's input offsets start again at 0, so a keyless command after the
   * restart (whose fingerprint is derived from its source offset) may meet the record of one before
   * it; a keyed command is unaffected.
   */
  LedgerHarness restart() {
    LedgerHarness next = new LedgerHarness(tweak, preflight, request, fault, wallClock);
    accountsPiped.forEach(
        (id, a) -> {
          if (a == null) {
            next.removeAccount(id);
          } else {
            next.account(a);
          }
        });
    copyWindowStore(LedgerTopology.REPLAY_STORE, next);
    copyWindowStore(LedgerTopology.REQUEST_INDEX, next);
    copyWindowStore(LedgerTopology.BATCH_INDEX, next);
    var timersTo = next.driver.<String, Long>getKeyValueStore(LedgerTopology.TIMER_STORE);
    try (var it = driver.<String, Long>getKeyValueStore(LedgerTopology.TIMER_STORE).all()) {
      it.forEachRemaining(kv -> timersTo.put(kv.key, kv.value));
    }
    close();
    return next;
  }

  private <V> void copyWindowStore(String name, LedgerHarness next) {
    WindowStore<String, V> to = next.driver.getWindowStore(name);
    try (KeyValueIterator<org.apache.kafka.streams.kstream.Windowed<String>, V> it =
        driver.<String, V>getWindowStore(name).all()) {
      it.forEachRemaining(kv -> to.put(kv.key.key(), kv.value, kv.key.window().start()));
    }
  }

  public List<TestRecord<String, byte[]>> results() {
    return results.readRecordsToList();
  }

  public TestRecord<String, byte[]> onlyResult() {
    List<TestRecord<String, byte[]>> r = results();
    assertThat(r).as("results emitted").hasSize(1);
    return r.get(0);
  }

  public List<PublishTask> tasks(Platform platform) {
    return publish.get(platform).readValuesToList();
  }

  /** Every task on every platform topic, draining them. */
  List<PublishTask> allTasks() {
    List<PublishTask> all = new ArrayList<>();
    for (var t : publish.values()) {
      all.addAll(t.readValuesToList());
    }
    return all;
  }

  List<TestRecord<byte[], byte[]>> deadLetters() {
    return deadLetters.readRecordsToList();
  }

  /** Every lifecycle event emitted since the last call, as written (exact value bytes). */
  public List<TestRecord<String, byte[]>> events() {
    return events.readRecordsToList();
  }

  /** Every lifecycle event emitted since the last call, read as the consumers' serde reads it. */
  List<PostEvent> eventValues() {
    return events().stream()
        .map(r -> topics.events().valueSerde().deserializer().deserialize("", r.value()))
        .toList();
  }

  /** Asserts no lifecycle event is waiting (reading nothing else). */
  void assertNoEvents() {
    assertThat(events.isEmpty()).as("no further events").isTrue();
  }

  /**
   * Asserts nothing at all is waiting on any output topic other than the events topic, which the
   * event tests read ({@link #events()}, {@link #assertNoEvents()}).
   */
  void assertNothingElseEmitted() {
    assertThat(results.isEmpty()).as("no further results").isTrue();
    assertThat(deadLetters.isEmpty()).as("no further dead letters").isTrue();
    for (var e : publish.entrySet()) {
      assertThat(e.getValue().isEmpty()).as("no further tasks on " + e.getKey()).isTrue();
    }
  }

  /** The ledger's dry run over this driver's accounts store, as the gateway runs it. */
  DryRun dryRun() {
    return new DryRun(() -> driver.getKeyValueStore(LedgerTopology.ACCOUNTS_STORE), config);
  }

  /** The ledger's read side over this driver's stores, as the gateway reads a running instance. */
  LedgerReads reads() {
    return new LedgerReads(
        new LedgerStores(
            LedgerStores.Window.queried(key -> driver.getWindowStore(LedgerTopology.REPLAY_STORE)),
            LedgerStores.Window.queried(key -> driver.getWindowStore(LedgerTopology.BATCH_INDEX)),
            LedgerStores.Window.queried(key -> driver.getWindowStore(LedgerTopology.REQUEST_INDEX)),
            config),
        config);
  }

  /** All replay records in the store, with their window start. */
  List<KeyValue<Long, LedgerRecord>> replayRecords() {
    WindowStore<String, LedgerRecord> store = driver.getWindowStore(LedgerTopology.REPLAY_STORE);
    List<KeyValue<Long, LedgerRecord>> all = new ArrayList<>();
    try (KeyValueIterator<org.apache.kafka.streams.kstream.Windowed<String>, LedgerRecord> it =
        store.all()) {
      it.forEachRemaining(kv -> all.add(KeyValue.pair(kv.key.window().start(), kv.value)));
    }
    return all;
  }

  /** The values the replay store wrote to its changelog, as the producer was handed them. */
  List<byte[]> replayChangelog() {
    String topic =
        config.topics().prefix() + "ledger-" + LedgerTopology.REPLAY_STORE + "-changelog";
    List<byte[]> values = new ArrayList<>();
    driver
        .createOutputTopic(
            topic, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer())
        .readValuesToList()
        .forEach(values::add);
    return values;
  }

  /** Every record the ledger wrote to the outcomes topic (its ticks). */
  List<TestRecord<String, byte[]>> ticks() {
    return driver
        .createOutputTopic(
            topics.outcomes().name(),
            Serdes.String().deserializer(),
            Serdes.ByteArray().deserializer())
        .readRecordsToList();
  }

  /** All request-index entries, with their window start. */
  List<KeyValue<Long, RequestEntry>> requestEntries() {
    WindowStore<String, RequestEntry> store = driver.getWindowStore(LedgerTopology.REQUEST_INDEX);
    List<KeyValue<Long, RequestEntry>> all = new ArrayList<>();
    try (KeyValueIterator<org.apache.kafka.streams.kstream.Windowed<String>, RequestEntry> it =
        store.all()) {
      it.forEachRemaining(kv -> all.add(KeyValue.pair(kv.key.window().start(), kv.value)));
    }
    return all;
  }

  List<String> timers() {
    List<String> keys = new ArrayList<>();
    try (var it = driver.<String, Long>getKeyValueStore(LedgerTopology.TIMER_STORE).all()) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    return keys;
  }

  static JsonNode json(ByteString bytes) {
    return json(bytes.toByteArray());
  }

  static String header(TestRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  static JsonNode json(byte[] bytes) {
    try {
      return Json.MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String body(String... accountIds) {
    StringBuilder b = new StringBuilder("{\"targets\":[");
    for (int i = 0; i < accountIds.length; i++) {
      b.append(i == 0 ? "" : ",").append("{\"accountId\":\"").append(accountIds[i]).append("\"}");
    }
    return b.append("],\"text\":\"shipped\"}").toString();
  }

  @Override
  public void close() {
    driver.close();
    try (var files = Files.walk(stateDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // best effort
    }
  }
}
