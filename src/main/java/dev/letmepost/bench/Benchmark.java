package dev.letmepost.bench;

import dev.letmepost.gateway.ApiKeyRecord;
import dev.letmepost.gateway.ApiKeyWriter;
import dev.letmepost.gateway.ApiKeys;
import dev.letmepost.gateway.GatewayConfig;
import dev.letmepost.gateway.GatewayService;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Topics;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * {@code lmp bench}: measures the ledger against two baselines on one broker, in one process, and
 * reports records/s, the Kafka records written per command, HTTP latencies, bytes per recorded
 * batch and the heap after GC.
 */
public final class Benchmark {
  /*
   * Design.
   *
   * Same records, partitions and broker: every throughput phase reads the one commands topic of
   * the ledger (created with the ledger's partition count). The first-seen commands are produced
   * once; the two baselines then read exactly them (their consumer groups are set to start where
   * those commands start), and the ledger decides them. Everything runs exactly_once_v2 with the
   * ledger's commit interval (LedgerApp.COMMIT_INTERVAL_MS, 50 ms).
   *
   * Each throughput phase is pre-loaded: the ledger is paused (KafkaStreams.pause), the phase's
   * commands are produced, the ledger resumes and the phase lasts until the last command is
   * answered on the results topic. Before each measured phase a warm-up phase of the same kind
   * runs the same way, untimed. A baseline is timed from the moment its group has committed past
   * its warm-up commands to the moment it has committed past the last one.
   *
   * Order: the HTTP phases come first, on a gateway attached to the ledger, with the sandbox
   * publisher (the real PublisherWorker against SandboxServer; its consumer groups read the publish
   * topics from the start, so they must run before there are other tasks), then with the instant
   * publisher. The first-seen phase follows on the same ledger; then the ledger is closed (its
   * stores flushed) and the state directory and changelog topics are measured. A second ledger
   * instance (same application, same state) runs the replay, conflict and waiter phases.
   */

  /** What to run; see {@code lmp bench --help}. */
  public record Settings(
      int targets,
      int partitions,
      short replicationFactor,
      int records,
      int warmupRecords,
      Duration httpPhase,
      Duration httpWarmup,
      int httpClients,
      int httpMinCalls) {
    public Settings {
      if (targets < 1 || targets > 25) {
        throw new IllegalArgumentException("--targets must be 1-25, got " + targets);
      }
      if (records < 1 || warmupRecords < 1) {
        throw new IllegalArgumentException(
            "--records and --warmup-records must be positive, got "
                + records
                + " and "
                + warmupRecords);
      }
      if (httpClients < 1) {
        throw new IllegalArgumentException("--http-clients must be positive, got " + httpClients);
      }
      if (httpPhase.isNegative() || httpPhase.isZero()) {
        throw new IllegalArgumentException("--http-seconds must be positive, got " + httpPhase);
      }
    }
  }

  /**
   * Where to run: the cluster, a fresh directory for state, how to create the ledger's topics, and
   * how to start the sandbox platform with publisher workers for every platform (closed after the
   * sandbox phases).
   */
  public record Environment(
      ClientSettings client,
      Path dataDir,
      java.util.function.Consumer<Topics> createTopics,
      Function<Topics, AutoCloseable> sandboxPublishing) {}

  private final Settings settings;
  private final Environment env;
  private final PrintWriter log;
  private final Topics topics;
  private final LedgerConfig ledgerConfig;
  private final String ledgerApp;
  private final Written written;

  public Benchmark(Settings settings, Environment env, PrintWriter log) {
    this.settings = settings;
    this.env = env;
    this.log = log;
    this.topics = new Topics("bench-" + Long.toString(System.currentTimeMillis(), 36) + ".");
    this.ledgerConfig =
        LedgerConfig.defaults(topics).with(c -> c.partitions = settings.partitions());
    this.ledgerApp = topics.prefix() + "ledger";
    this.written = new Written(topics);
  }

  /** Runs every phase and returns what they measured. */
  public Report run() throws Exception {
    env.createTopics().accept(topics);
    List<String> outputs = new ArrayList<>(Baselines.dedupOutputs(topics, settings.targets()));
    outputs.add(Baselines.passthroughOutput(topics));
    List<Report.Throughput> phases = new ArrayList<>();
    List<Report.Latency> http = new ArrayList<>();
    long recorded = 0;
    try (Probe probe = new Probe(env.client());
        Traffic traffic = new Traffic(env.client(), topics, settings.targets());
        Answers answers = new Answers(env.client(), topics)) {
      probe.createTopics(outputs, settings.partitions(), settings.replicationFactor());
      writeAccounts();
      String apiKey = ApiKeys.generate(new SecureRandom());
      ApiKeyWriter.write(
          env.client(),
          topics,
          ApiKeys.hash(apiKey),
          ApiKeyRecord.active(Traffic.PRINCIPAL, Instant.now()));

      Report.Heap heap;
      List<Traffic.Command> firsts;
      List<Traffic.Command> warmFirsts;
      InstantPublisher instant = null;
      GatewayService gateway =
          GatewayService.bind(
              new GatewayService.Options("127.0.0.1", 0, null, GatewayConfig.defaults()));
      KafkaStreams ledger = null;
      try {
        ledger = startLedger(gateway.streamsOverrides());
        gateway.attach(env.client(), topics, ledgerConfig, ledger);
        if (!gateway.awaitKeys(Duration.ofSeconds(60))) {
          throw new IllegalStateException("the gateway did not load the benchmark's API key");
        }
        awaitReady(gateway.port());
        HttpLoad load = new HttpLoad(gateway.port(), apiKey, settings.targets());
        try (AutoCloseable sandbox = env.sandboxPublishing().apply(topics)) {
          recorded += httpPhases(load, "sandbox", http);
        }
        instant = InstantPublisher.start(env.client(), topics);
        recorded += httpPhases(load, "instant", http);

        gateway.close();

        // First-seen commands: the warm-up set, read untimed by the two baselines and the
        // ledger, each paused afterwards; then the measured set, read by each in turn.
        ledger.pause();
        Map<TopicPartition, Long> baselineStart = probe.partitionEnds(topics.commands().name());
        warmFirsts = traffic.firstSeen("warm-first", settings.warmupRecords());
        traffic.send(warmFirsts);
        long warmEnd = sum(probe.partitionEnds(topics.commands().name()));
        try (Baseline passthrough =
                Baseline.warm(
                    probe,
                    baselineProperties(Report.PASSTHROUGH),
                    Baselines.passthrough(topics),
                    topics.commands().name(),
                    baselineStart,
                    warmEnd);
            Baseline dedup =
                Baseline.warm(
                    probe,
                    baselineProperties(Report.DEDUP),
                    Baselines.dedup(topics, settings.targets(), ledgerConfig.replayTtl()),
                    topics.commands().name(),
                    baselineStart,
                    warmEnd)) {
          answers.await(ledger, "warm-first", warmFirsts.size(), 201, false);
          firsts = traffic.firstSeen("first", settings.records());
          traffic.send(firsts);
          long end = sum(probe.partitionEnds(topics.commands().name()));
          phases.add(
              baseline(
                  probe,
                  passthrough,
                  Report.PASSTHROUGH,
                  "pass-through Streams app: each command written unchanged to one topic",
                  end,
                  firsts.size()));
          phases.add(
              baseline(
                  probe,
                  dedup,
                  Report.DEDUP,
                  "hand-written dedup (window store by key), first record fanned out to "
                      + settings.targets()
                      + " topics",
                  end,
                  firsts.size()));
        }
        phases.add(
            ledgerPhase(
                probe,
                answers,
                ledger,
                traffic,
                "first-seen",
                "ledger: new keys, " + settings.targets() + " targets, instant publisher",
                firsts,
                "first",
                201,
                false,
                false));
        recorded += warmFirsts.size() + firsts.size();
        heap = heapAfterGc();
      } finally {
        gateway.close();
        if (ledger != null) {
          ledger.close(Duration.ofSeconds(60));
        }
      }
      Report.Storage storage = storage(probe, recorded);
      try {
        ledger = startLedger(Map.of());
        awaitRunning(ledger);
        ledger.pause();
        traffic.send(traffic.again("warm-replay", warmFirsts, 0));
        answers.await(ledger, "warm-replay", warmFirsts.size(), 201, true);
        phases.add(
            ledgerPhase(
                probe,
                answers,
                ledger,
                traffic,
                "replay",
                "ledger: the first-seen keys and bodies again",
                traffic.again("replay", firsts, 0),
                "replay",
                201,
                true,
                true));
        traffic.send(traffic.again("warm-conflict", warmFirsts, 1));
        answers.await(ledger, "warm-conflict", warmFirsts.size(), 422, false);
        phases.add(
            ledgerPhase(
                probe,
                answers,
                ledger,
                traffic,
                "conflict",
                "ledger: the first-seen keys with another body (422)",
                traffic.again("conflict", firsts, 1),
                "conflict",
                422,
                false,
                true));
        int waitKeys = Math.max(1, settings.records() / 2);
        List<Traffic.Command> warmWaiters =
            traffic.withWaiters("warm-wait", Math.max(1, settings.warmupRecords() / 2));
        traffic.send(warmWaiters);
        answers.await(ledger, "warm-wait", warmWaiters.size(), 201, null);
        phases.add(
            ledgerPhase(
                probe,
                answers,
                ledger,
                traffic,
                "waiters",
                "ledger: new keys each sent twice in a row, the second waiting for the first",
                traffic.withWaiters("wait", waitKeys),
                "wait",
                201,
                null,
                true));
      } finally {
        if (instant != null) {
          instant.close();
        }
        if (ledger != null) {
          ledger.close(Duration.ofSeconds(60));
        }
      }
      return new Report(settingsMap(), Report.withRatios(phases), http, storage, heap);
    }
  }

  private final long started = System.nanoTime();

  private String elapsed() {
    return String.format(
        java.util.Locale.ROOT, "bench [%5.1f s]: ", (System.nanoTime() - started) / 1e9);
  }

  private KafkaStreams startLedger(Map<String, ?> overrides) {
    Properties p =
        LedgerApp.streamsProperties(
            ledgerConfig, env.client(), env.dataDir().resolve("streams"), overrides);
    return LedgerApp.start(ledgerConfig, p);
  }

  private void writeAccounts() {
    try (KafkaProducer<String, Account> producer =
        new KafkaProducer<>(
            env.client().config(),
            topics.accounts().keySerde().serializer(),
            topics.accounts().valueSerde().serializer())) {
      for (Account a : Traffic.accounts(settings.targets())) {
        producer.send(new ProducerRecord<>(topics.accounts().name(), a.accountId(), a));
      }
      producer.flush();
    }
  }

  /** First calls then replays over HTTP; returns how many batches the first calls recorded. */
  private long httpPhases(HttpLoad load, String publisher, List<Report.Latency> out)
      throws InterruptedException {
    log.println(elapsed() + "HTTP first calls and replays, " + publisher + " publisher...");
    HttpLoad.Run first =
        load.firstCalls(
            "http-" + publisher,
            settings.httpClients(),
            settings.httpWarmup(),
            settings.httpPhase(),
            settings.httpMinCalls());
    out.add(
        first.latency(
            "http-first-" + publisher, "POST under a new key, " + publisher + " publisher"));
    HttpLoad.Run replay =
        load.replays(
            first.keysAnswered(),
            settings.httpClients(),
            settings.httpWarmup(),
            settings.httpPhase(),
            settings.httpMinCalls());
    out.add(
        replay.latency(
            "http-replay-" + publisher,
            "POST again, same key and body, " + publisher + " publisher"));
    return new HashSet<>(first.keysAnswered()).size();
  }

  private Properties baselineProperties(String name) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, topics.prefix() + "bench-" + name);
    p.putAll(env.client().config());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, LedgerApp.COMMIT_INTERVAL_MS);
    p.put(StreamsConfig.STATE_DIR_CONFIG, env.dataDir().resolve("streams").toString());
    return p;
  }

  /** Resumes a warmed-up baseline and times it until it has committed up to {@code end}. */
  private Report.Throughput baseline(
      Probe probe, Baseline app, String name, String what, long end, int records)
      throws InterruptedException {
    log.println(elapsed() + "baseline " + name + " (" + records + " commands)...");
    Map<String, Long> before = probe.endOffsets(topics.prefix());
    long t0 = System.nanoTime();
    app.resumeUntilCommitted(probe, end, phaseTimeout(records));
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Long> after = probe.endOffsets(topics.prefix());
    return Report.Throughput.measured(
        name, what, records, seconds, written.perInput(before, after, records));
  }

  private Report.Throughput ledgerPhase(
      Probe probe,
      Answers answers,
      KafkaStreams ledger,
      Traffic traffic,
      String name,
      String what,
      List<Traffic.Command> commands,
      String tag,
      int status,
      Boolean replayed,
      boolean send)
      throws InterruptedException {
    log.println(elapsed() + "ledger " + name + " (" + commands.size() + " commands)...");
    ledger.pause();
    answers.skipToEnd();
    if (send) {
      traffic.send(commands);
    }
    Map<String, Long> before = probe.endOffsets(topics.prefix());
    long t0 = System.nanoTime();
    answers.await(ledger, tag, commands.size(), status, replayed);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Long> after = probe.endOffsets(topics.prefix());
    return Report.Throughput.measured(
        name, what, commands.size(), seconds, written.perInput(before, after, commands.size()));
  }

  private Report.Storage storage(Probe probe, long recordedBatches) {
    Map<String, Long> state =
        Probe.stateDirByStore(env.dataDir().resolve("streams").resolve(ledgerApp));
    Map<String, Long> changelogs = new TreeMap<>();
    probe
        .logDirBytes(ledgerApp + "-")
        .forEach(
            (topic, bytes) -> {
              if (topic.endsWith("-changelog")) {
                changelogs.put(
                    topic.substring(ledgerApp.length() + 1, topic.length() - "-changelog".length()),
                    bytes);
              }
            });
    return Report.Storage.of(recordedBatches, state, changelogs);
  }

  private static Report.Heap heapAfterGc() {
    System.gc();
    System.gc();
    var memory = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return new Report.Heap(memory.getUsed(), Runtime.getRuntime().maxMemory());
  }

  private Map<String, Object> settingsMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("targets", settings.targets());
    m.put("partitions", settings.partitions());
    m.put("records", settings.records());
    m.put("warmupRecords", settings.warmupRecords());
    m.put("httpSeconds", settings.httpPhase().toMillis() / 1000.0);
    m.put("httpWarmupSeconds", settings.httpWarmup().toMillis() / 1000.0);
    m.put("httpClients", settings.httpClients());
    m.put("httpMinCalls", settings.httpMinCalls());
    m.put("processingGuarantee", StreamsConfig.EXACTLY_ONCE_V2);
    m.put("availableProcessors", Runtime.getRuntime().availableProcessors());
    m.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
    m.put("java", System.getProperty("java.version"));
    m.put("finishedAt", Instant.now().toString());
    return m;
  }

  private static Duration phaseTimeout(long commands) {
    return Duration.ofSeconds(120).plusMillis(5 * commands);
  }

  private static long sum(Map<TopicPartition, Long> offsets) {
    return offsets.values().stream().mapToLong(Long::longValue).sum();
  }

  private static void awaitRunning(KafkaStreams ledger) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (ledger.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline || ledger.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException("the ledger did not reach RUNNING: " + ledger.state());
      }
      Thread.sleep(50);
    }
  }

  private static void awaitReady(int port) throws InterruptedException {
    HttpClient client = HttpClient.newHttpClient();
    URI ready = URI.create("http://127.0.0.1:" + port + "/readyz");
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    int status = 0;
    while (System.nanoTime() < deadline) {
      try {
        status =
            client
                .send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
        if (status == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        status = -1;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        "the gateway was not ready within 2 min (last /readyz " + status + ")");
  }

  /**
   * The ledger's answers, read from the results topic ({@code read_committed}) and counted by the
   * request ids of a phase; an answer of another status than the phase expects fails the run.
   */
  static final class Answers implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<TopicPartition> partitions;

    Answers(ClientSettings client, Topics topics) {
      this.consumer =
          Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer());
      this.partitions = Consumers.assignAll(consumer, topics.results().name());
      skipToEnd();
    }

    void skipToEnd() {
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position);
    }

    /**
     * Resumes {@code ledger} and waits for {@code count} answers to request ids {@code
     * req-<tag>-*}, each with {@code status} and, unless {@code replayed} is null, that replay
     * flag.
     */
    void await(KafkaStreams ledger, String tag, int count, int status, Boolean replayed)
        throws InterruptedException {
      String prefix = "req-" + tag + "-";
      ledger.resume();
      Duration timeout = phaseTimeout(count);
      long deadline = System.nanoTime() + timeout.toNanos();
      int seen = 0;
      while (seen < count) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(20))) {
          if (r.key() == null || !r.key().startsWith(prefix)) {
            continue;
          }
          int s = Integer.parseInt(header(r, LmpHeaders.STATUS));
          boolean rep = Boolean.parseBoolean(header(r, LmpHeaders.REPLAYED));
          if (s != status || (replayed != null && rep != replayed)) {
            throw new IllegalStateException(
                "request "
                    + r.key()
                    + " was answered "
                    + s
                    + (rep ? " (replayed)" : "")
                    + ", expected "
                    + status
                    + (replayed == null ? "" : replayed ? " (replayed)" : " (not replayed)")
                    + ": "
                    + new String(r.value(), StandardCharsets.UTF_8));
          }
          seen++;
        }
        if (System.nanoTime() > deadline || ledger.state() == KafkaStreams.State.ERROR) {
          throw new IllegalStateException(
              "the ledger answered "
                  + seen
                  + " of "
                  + count
                  + " "
                  + tag
                  + " commands within "
                  + timeout
                  + " (state "
                  + ledger.state()
                  + ")");
        }
      }
      ledger.pause();
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
      Header h = r.headers().lastHeader(name);
      return h == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
