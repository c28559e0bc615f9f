package dev.letmepost.cli;

import dev.letmepost.gateway.ApiKeyRecord;
import dev.letmepost.gateway.ApiKeyWriter;
import dev.letmepost.gateway.ApiKeys;
import dev.letmepost.gateway.DemoKey;
import dev.letmepost.gateway.GatewayService;
import dev.letmepost.ledger.LedgerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lmp serve}: every role in one process. Without {@code --bootstrap-servers} it starts the
 * embedded broker and runs in demo mode (demo principal and accounts, the sandbox platform).
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description =
        "Run the broker (when no cluster is given), the ledger, the publishers and, in demo mode,"
            + " the sandbox platform.")
final class ServeCommand implements Callable<Integer> {
  @Option(
      names = "--bootstrap-servers",
      defaultValue = "${env:LMP_BOOTSTRAP_SERVERS}",
      description =
          "use this Kafka cluster instead of the embedded broker (env LMP_BOOTSTRAP_SERVERS)")
  String bootstrapServers;

  @Option(
      names = "--kafka-port",
      defaultValue = "9092",
      description = "embedded broker port (default: ${DEFAULT-VALUE})")
  int kafkaPort;

  @Option(
      names = "--data-dir",
      defaultValue = "${env:LMP_DATA_DIR:-./data}",
      description =
          "broker data, ledger state and the sandbox's posts.jsonl (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(
      names = "--replication-factor",
      description = "replicas of created topics (default: 1 embedded, 3 on a cluster)")
  Short replicationFactor;

  @Option(
      names = "--demo",
      negatable = true,
      description =
          "register the demo principal and accounts and publish every platform to the sandbox platform (default: on without --bootstrap-servers)")
  Boolean demo;

  // HTTP gateway: --http-host, --http-port, --advertised-host, --answer-timeout, ...
  @Mixin GatewayCommand.HttpOptions http;

  @Mixin LedgerOptions ledgerOptions;

  @Mixin KafkaClientOptions kafkaClient;

  // Webhooks: --webhook-signing-key-file, --webhook-allow-private-addresses, ...
  @Mixin WebhooksCommand.Options webhookOptions;

  @Option(
      names = "--no-publishers",
      description =
          "run the ledger without the publisher workers (by default serve runs one consumer group"
              + " per platform)")
  boolean noPublishers;

  @Option(
      names = "--sandbox-port",
      defaultValue = "8090",
      description = "demo mode: the sandbox platform's port (default: ${DEFAULT-VALUE})")
  int sandboxPort;

  @Option(
      names = "--sandbox-latency",
      defaultValue = "0ms",
      paramLabel = "DURATION",
      description =
          "demo mode: added to every answer of the sandbox platform, like lmp sandbox --latency"
              + " (default: ${DEFAULT-VALUE})")
  String sandboxLatency;

  @Option(
      names = "--sandbox-url",
      paramLabel = "URL",
      description =
          "outside demo mode: publish every platform to the sandbox platform at this URL (see lmp"
              + " sandbox) instead of the real APIs")
  URI sandboxUrl;

  @Option(
      names = "--instance-id",
      description =
          "this process's stable id, unique among running publishers; part of the publishers'"
              + " transactional ids (default: <host name>-serve)")
  String instanceId;

  @Override
  public Integer call() throws Exception {
    boolean embedded = bootstrapServers == null || bootstrapServers.isBlank();
    boolean demoMode = demo != null ? demo : embedded;
    short rf = replicationFactor != null ? replicationFactor : (short) (embedded ? 1 : 3);
    LedgerConfig ledger = ledgerOptions.config();
    // HTTP gateway: bound first so that its address is the ledger's application.server.
    GatewayService gateway = GatewayService.bind(http.options());
    Map<String, String> streamsOverrides = new HashMap<>(gateway.streamsOverrides());
    streamsOverrides.putAll(ledgerOptions.streamsConfig);
    Services services;
    Runnable stopWebhooks;
    String demoKey = null;
    String id = instanceId != null ? instanceId : PublisherCommand.defaultInstanceId() + "-serve";
    try {
      services =
          Services.start(
              new Services.Options(
                  embedded ? null : bootstrapServers,
                  kafkaPort,
                  dataDir,
                  rf,
                  demoMode,
                  ledger,
                  streamsOverrides,
                  !noPublishers,
                  sandboxPort,
                  sandboxUrl,
                  id,
                  kafkaClient.properties(),
                  SandboxCommand.duration("--sandbox-latency", sandboxLatency)));
      if (demoMode) {
        demoKey = DemoKey.choose(System.getenv(DemoKey.ENV), new SecureRandom());
        ApiKeyWriter.write(
            services.client(),
            ledger.topics(),
            ApiKeys.hash(demoKey),
            ApiKeyRecord.active(Services.DEMO_PRINCIPAL, Instant.now()));
      }
      gateway.attach(services.client(), ledger.topics(), ledger, services.ledger());
      gateway.watch(services::readerProblem);
      stopWebhooks =
          webhookOptions.serve(services.client(), ledger.topics(), demoMode, dataDir, gateway, id);
    } catch (RuntimeException e) {
      gateway.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopWebhooks.run();
                  gateway.close();
                  services.close();
                  stopped.countDown();
                },
                "lmp-shutdown"));
    if (!services.awaitRunning(Duration.ofMinutes(2))) {
      System.err.println(
          "lmp: the ledger did not reach RUNNING (state " + services.ledger().state() + ")");
      return 1;
    }
    System.out.println(
        "letmepost-streams is running against "
            + services.bootstrapServers()
            + (embedded ? " (embedded broker, data in " + dataDir + ")" : ""));
    if (demoMode) {
      System.out.println(
          "demo principal "
              + Services.DEMO_PRINCIPAL
              + " with accounts acc_demo_twitter, acc_demo_linkedin, acc_demo_bluesky"
              + (services.sandboxPublishing() == null
                  ? ""
                  : "; sandbox platform at "
                      + services.sandboxPublishing().sandbox().uri()
                      + ", posts in "
                      + dataDir.resolve("sandbox").resolve("posts.jsonl")));
      System.out.println(
          "try: ./lmp post --principal key_demo --idempotency-key K1 --target acc_demo_bluesky --text hi");
    }
    System.out.println("HTTP API on http://" + http.host + ":" + gateway.port());
    if (demoKey != null) {
      System.out.println("demo API key (principal " + Services.DEMO_PRINCIPAL + "): " + demoKey);
      System.out.println("try: export LMP_KEY=" + demoKey);
    }
    System.out.flush();
    stopped.await();
    return 0;
  }
}
