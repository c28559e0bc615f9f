package dev.letmepost.cli;

import dev.letmepost.bench.Benchmark;
import dev.letmepost.bench.Report;
import dev.letmepost.broker.EmbeddedBroker;
import dev.letmepost.broker.TopicSetup;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.wire.ClientSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lmp bench}: the benchmark of the ledger against a pass-through and a hand-written dedup,
 * on a fresh embedded broker (or a cluster), printed as a table and written as JSON.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Measure the ledger against two exactly_once_v2 baselines (pass-through, hand-written"
            + " dedup) on one broker: records/s, Kafka records written per command, HTTP latency,"
            + " bytes per recorded batch, heap after GC.")
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--bootstrap-servers",
      description =
          "use this Kafka cluster (topics get a fresh bench-<time>. prefix) instead of a fresh"
              + " embedded broker")
  String bootstrapServers;

  @Mixin ReplicationFactorOption replication;

  @Option(
      names = "--targets",
      defaultValue = "3",
      description = "targets per batch, 1-25 (default: ${DEFAULT-VALUE})")
  int targets;

  @Mixin PartitionsOption partitions;

  @Option(
      names = "--records",
      defaultValue = "200000",
      description = "commands per measured throughput phase (default: ${DEFAULT-VALUE})")
  int records;

  @Option(
      names = "--warmup-records",
      description = "commands of the untimed warm-up before each phase (default: --records / 10)")
  Integer warmupRecords;

  @Option(
      names = "--http-seconds",
      defaultValue = "30",
      description = "measured length of each HTTP phase (default: ${DEFAULT-VALUE})")
  double httpSeconds;

  @Option(
      names = "--http-warmup-seconds",
      defaultValue = "5",
      description = "untimed warm-up of each HTTP phase (default: ${DEFAULT-VALUE})")
  double httpWarmupSeconds;

  @Option(
      names = "--http-clients",
      defaultValue = "4",
      description = "closed-loop HTTP clients (default: ${DEFAULT-VALUE})")
  int httpClients;

  @Option(
      names = "--http-min-calls",
      defaultValue = "20",
      description =
          "each HTTP phase goes on past --http-seconds until it measured this many calls (at most"
              + " 5 min; default: ${DEFAULT-VALUE})")
  int httpMinCalls;

  @Option(
      names = "--quick",
      description =
          "a short run that only shows the benchmark works (500 records, 100 warm-up, HTTP phases of"
              + " 1 s and 10 calls after 0.5 s of warm-up); explicit options still win")
  boolean quick;

  @Option(names = "--out", paramLabel = "FILE", description = "also write the report as JSON")
  Path out;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "broker data and ledger state (default: a fresh temporary directory, deleted at the end)")
  Path dataDir;

  @Mixin KafkaClientOptions kafkaClient;

  @Override
  public Integer call() throws Exception {
    boolean embedded = bootstrapServers == null || bootstrapServers.isBlank();
    int n = quick && !explicit("--records") ? 500 : records;
    int warm = warmupRecords != null ? warmupRecords : quick ? 100 : Math.max(1, n / 10);
    double http = quick && !explicit("--http-seconds") ? 1 : httpSeconds;
    double httpWarm = quick && !explicit("--http-warmup-seconds") ? 0.5 : httpWarmupSeconds;
    short rf = replication.factor(embedded);
    Benchmark.Settings settings =
        new Benchmark.Settings(
            targets,
            partitions.count,
            rf,
            n,
            warm,
            Duration.ofMillis((long) (http * 1000)),
            Duration.ofMillis((long) (httpWarm * 1000)),
            httpClients,
            quick && !explicit("--http-min-calls") ? 10 : httpMinCalls);
    boolean temporary = dataDir == null;
    Path dir = temporary ? Files.createTempDirectory("lmp-bench") : dataDir;
    EmbeddedBroker broker = null;
    try {
      String servers = bootstrapServers;
      if (embedded) {
        broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
        servers = broker.bootstrapServers();
      }
      ClientSettings cluster = kafkaClient.settings(servers);
      Benchmark.Environment env =
          new Benchmark.Environment(
              cluster,
              dir,
              topics -> TopicSetup.ensureTopics(cluster, topics, partitions.count, rf),
              topics ->
                  Services.startSandboxPublishing(
                      cluster, topics, dir.resolve("sandbox"), 0, Faults.NONE, "bench"));
      PrintWriter err = spec.commandLine().getErr();
      PrintWriter stdout = spec.commandLine().getOut();
      err.println(
          "bench: "
              + (embedded ? "embedded broker " : "cluster ")
              + cluster.bootstrapServers()
              + ", data in "
              + dir
              + "; "
              + n
              + " commands per phase after "
              + warm
              + " of warm-up, "
              + targets
              + " targets");
      Report report = new Benchmark(settings, env, err).run();
      stdout.print(report.table());
      if (out != null) {
        Files.write(out, report.json());
        stdout.println("report written to " + out);
      }
      stdout.flush();
      return 0;
    } finally {
      if (broker != null) {
        broker.close();
      }
      if (temporary) {
        deleteTree(dir);
      }
    }
  }

  private boolean explicit(String option) {
    return spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
