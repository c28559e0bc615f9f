package dev.letmepost.cli;

import dev.letmepost.command.Limits;
import dev.letmepost.gateway.ApiKeyRecord;
import dev.letmepost.gateway.ApiKeyWriter;
import dev.letmepost.gateway.ApiKeys;
import dev.letmepost.gateway.DemoKey;
import dev.letmepost.gateway.GatewayConfig;
import dev.letmepost.gateway.GatewayService;
import dev.letmepost.ledger.LedgerConfig;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code lmp gateway}: the HTTP gateway against a Kafka cluster, together with the ledger instance
 * whose stores it reads. Any number of them may run with the same topic prefix: writes go through
 * Kafka from any instance, reads are answered by (or forwarded to) the instance hosting the data.
 */
@Command(
    name = "gateway",
    mixinStandardHelpOptions = true,
    description =
        "Run the HTTP gateway and a ledger instance (for its interactive queries) against a Kafka cluster.")
final class GatewayCommand implements Callable<Integer> {
  /** The HTTP options {@code serve} and {@code gateway} share. */
  static final class HttpOptions {
    @Option(
        names = "--http-host",
        defaultValue = "127.0.0.1",
        description = "address the HTTP API listens on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(
        names = "--http-port",
        defaultValue = "8080",
        description = "HTTP API port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(
        names = "--advertised-host",
        description =
            "host other instances reach this one at for forwarded reads (default: --http-host)")
    String advertisedHost;

    @Option(
        names = "--answer-timeout",
        defaultValue = "PT30S",
        description =
            "how long POST /v1/posts waits for the answer before 202 + Location (default: ${DEFAULT-VALUE})")
    Duration answerTimeout;

    @Option(
        names = "--waiters-per-principal",
        defaultValue = "" + GatewayConfig.DEFAULT_MAX_WAITERS_PER_PRINCIPAL,
        description =
            "requests of one principal that may wait for their answer at once on this instance;"
                + " past it 202 + Location at once (default: ${DEFAULT-VALUE})")
    void waitersPerPrincipal(int waiters) {
      if (waiters < 0) {
        throw new ParameterException(
            spec.commandLine(),
            "Invalid value for option '--waiters-per-principal': must not be negative, got "
                + waiters);
      }
      waitersPerPrincipal = waiters;
    }

    int waitersPerPrincipal;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    int maxBodyBytes;

    /**
     * Refused at start-up above {@link Limits#MAX_BODY_BYTES}: such a body could never be decided.
     */
    @Option(
        names = "--max-body-bytes",
        defaultValue = "" + Limits.MAX_BODY_BYTES,
        description =
            "largest accepted request body, at most "
                + Limits.MAX_BODY_BYTES
                + "; larger gets 413 (default: ${DEFAULT-VALUE})")
    void maxBodyBytes(int bytes) {
      Optional<String> problem = GatewayConfig.maxBodyBytesProblem(bytes);
      if (problem.isPresent()) {
        throw new ParameterException(
            spec.commandLine(), "Invalid value for option '--max-body-bytes': " + problem.get());
      }
      maxBodyBytes = bytes;
    }

    GatewayService.Options options() {
      return new GatewayService.Options(
          host,
          port,
          advertisedHost,
          GatewayConfig.defaults()
              .withAnswerTimeout(answerTimeout)
              .withMaxBodyBytes(maxBodyBytes)
              .withMaxWaitersPerPrincipal(waitersPerPrincipal));
    }
  }

  @Mixin HttpOptions http;

  @Mixin LedgerOptions ledgerOptions;

  // Webhook routes: --webhook-signing-key-file, --webhook-allow-private-addresses
  @Mixin WebhooksCommand.Options webhookOptions;
  @Mixin KafkaClientOptions kafkaClient;

  @Option(
      names = "--bootstrap-servers",
      required = true,
      defaultValue = "${env:LMP_BOOTSTRAP_SERVERS}",
      description = "the Kafka cluster (env LMP_BOOTSTRAP_SERVERS)")
  String bootstrapServers;

  @Option(
      names = "--data-dir",
      defaultValue = "${env:LMP_DATA_DIR:-./data}",
      description =
          "the ledger's local state (a cache of its changelogs) (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(
      names = "--replication-factor",
      defaultValue = "3",
      description = "replicas of topics created if missing (default: ${DEFAULT-VALUE})")
  short replicationFactor;

  @Option(
      names = "--demo",
      description =
          "also register the demo principal key_demo, its accounts acc_demo_twitter,"
              + " acc_demo_linkedin and acc_demo_bluesky, and an API key for it ($LMP_DEMO_API_KEY,"
              + " else a random one, printed): for a demo cluster whose publishers run with"
              + " --sandbox-url (docker-compose.yml)")
  boolean demo;

  @Override
  public Integer call() throws Exception {
    LedgerConfig ledger = ledgerOptions.config();
    GatewayService gateway = GatewayService.bind(http.options());
    Services services;
    String demoKey = null;
    try {
      Map<String, String> overrides = new HashMap<>(gateway.streamsOverrides());
      overrides.putAll(ledgerOptions.streamsConfig);
      services =
          Services.start(
              new Services.Options(
                  bootstrapServers,
                  0,
                  dataDir,
                  replicationFactor,
                  false,
                  ledger,
                  overrides,
                  false,
                  0,
                  null,
                  PublisherCommand.defaultInstanceId(),
                  kafkaClient.properties(),
                  Duration.ZERO));
      if (demo) {
        Services.registerDemoAccounts(services.client(), ledger.topics());
        demoKey = DemoKey.choose(System.getenv(DemoKey.ENV), new SecureRandom());
        ApiKeyWriter.write(
            services.client(),
            ledger.topics(),
            ApiKeys.hash(demoKey),
            ApiKeyRecord.active(Services.DEMO_PRINCIPAL, Instant.now()));
      }
      gateway.attach(services.client(), ledger.topics(), ledger, services.ledger());
      webhookOptions.routes(services.client(), ledger.topics(), gateway);
    } catch (RuntimeException e) {
      gateway.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  gateway.close();
                  services.close();
                  stopped.countDown();
                },
                "lmp-shutdown"));
    System.out.println(
        "HTTP API on http://"
            + http.host
            + ":"
            + gateway.port()
            + " (ledger against "
            + services.bootstrapServers()
            + "; ready when GET /readyz answers 200)");
    if (demoKey != null) {
      System.out.println("demo API key (principal " + Services.DEMO_PRINCIPAL + "): " + demoKey);
    }
    System.out.flush();
    stopped.await();
    return 0;
  }
}
