package dev.letmepost.cli;

import dev.letmepost.ledger.LedgerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
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

  @Mixin DataDirOption dataDir;

  @Mixin ReplicationFactorOption replication;

  @Option(
      names = "--demo",
      negatable = true,
      description =
          "register the demo principal and accounts and publish every platform to the sandbox platform (default: on without --bootstrap-servers)")
  Boolean demo;

  // HTTP gateway: --http-host, --http-port, --advertised-host, --answer-timeout, ...
  @Mixin HttpOptions http;

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

  @Mixin SandboxUrlOption sandboxUrl;

  @Mixin InstanceIdOption instanceId = new InstanceIdOption("serve");

  @Override
  public Integer call() throws Exception {
    boolean embedded = bootstrapServers == null || bootstrapServers.isBlank();
    boolean demoMode = demo != null ? demo : embedded;
    LedgerConfig ledger = ledgerOptions.config();
    Duration latency = SandboxCommand.duration("--sandbox-latency", sandboxLatency);
    Path data = dataDir.path;
    String id = instanceId.id();
    return http.run(
        "serve",
        overrides ->
            new Services.Options(
                embedded ? null : bootstrapServers,
                kafkaPort,
                data,
                replication.factor(embedded),
                demoMode,
                ledger,
                ledgerOptions.streamsOverrides(overrides),
                !noPublishers,
                sandboxPort,
                sandboxUrl.url,
                id,
                kafkaClient.properties(),
                latency),
        (role, gateway, services) -> {
          String demoKey =
              demoMode ? Services.registerDemoApiKey(services.client(), ledger.topics()) : null;
          gateway.attach(services.client(), ledger.topics(), ledger, services.ledger());
          gateway.watch(services::readerProblem);
          webhookOptions
              .serve(services.client(), ledger.topics(), demoMode, data, gateway, id)
              .ifPresent(role::add);
          if (!services.awaitRunning(Duration.ofMinutes(2))) {
            throw new IllegalStateException(
                "the ledger did not reach RUNNING (state " + services.ledger().state() + ")");
          }
          System.out.println(
              "letmepost-streams is running against "
                  + services.bootstrapServers()
                  + (embedded ? " (embedded broker, data in " + data + ")" : ""));
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
                            + data.resolve("sandbox").resolve("posts.jsonl")));
            System.out.println(
                "try: ./lmp post --principal key_demo --idempotency-key K1 --target acc_demo_bluesky --text hi");
          }
          System.out.println("HTTP API on http://" + http.host + ":" + gateway.port());
          if (demoKey != null) {
            System.out.println(
                "demo API key (principal " + Services.DEMO_PRINCIPAL + "): " + demoKey);
            System.out.println("try: export LMP_KEY=" + demoKey);
          }
          System.out.flush();
        });
  }
}
