package dev.letmepost.cli;

import dev.letmepost.net.AddressGuard;
import dev.letmepost.platform.Connectors;
import dev.letmepost.publish.Credentials;
import dev.letmepost.publish.PublisherConfig;
import dev.letmepost.publish.Publishers;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lmp publisher}: runs the publisher workers of one or more platforms against a cluster, one
 * consumer group per platform.
 */
@Command(
    name = "publisher",
    mixinStandardHelpOptions = true,
    description =
        "Publish the tasks of the given platforms (one consumer group each), at most once per target.")
final class PublisherCommand implements Callable<Integer> {
  /** The connect timeout of every platform call. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--platform",
      required = true,
      paramLabel = "NAME",
      description =
          "platform to publish to (repeatable), or 'all': mastodon, bluesky, linkedin, twitter (x),"
              + " threads, telegram, discord, slack, sandbox")
  List<String> platforms;

  @Mixin InstanceIdOption instanceId = new InstanceIdOption("publisher");

  @Option(
      names = "--threads",
      defaultValue = "16",
      description =
          "most platform calls in progress at once, per platform (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(
      names = "--request-timeout",
      defaultValue = "PT20S",
      description =
          "a platform request's timeout, ISO-8601; with the 5 s connect timeout at most 25 s, the"
              + " per-request time the ledger's outcome grace is derived from (default:"
              + " ${DEFAULT-VALUE})")
  Duration requestTimeout;

  @Option(
      names = "--hand-over-wait",
      defaultValue = "PT10S",
      description =
          "how long a clean hand-over of partitions (rebalance, shutdown) waits for the platform"
              + " calls in progress on them to end, ISO-8601, PT0S..PT30S; a call still running"
              + " then is left to the next owner to reconcile (default: ${DEFAULT-VALUE})")
  Duration handOverWait;

  @Option(
      names = "--allow-private-endpoints",
      description =
          "let connectors call account endpoints and webhook URLs (a Mastodon instance, a Bluesky"
              + " PDS, a Discord or Slack webhook) that resolve to loopback, private, link-local"
              + " or shared addresses; https is still required")
  boolean allowPrivateEndpoints;

  @Mixin SandboxUrlOption sandboxUrl;

  @Mixin HealthOptions health = new HealthOptions("publisher", 8082);

  @Override
  public Integer call() throws Exception {
    Topics topics = kafka.topics();
    Set<Platform> selected = parsePlatforms(platforms);
    checkRequestTimeout(CONNECT_TIMEOUT, requestTimeout);
    AddressGuard guard =
        new AddressGuard(
            new AddressGuard.Policy(false, allowPrivateEndpoints), AddressGuard.Resolver.SYSTEM);
    String id = instanceId.id();
    URI sandbox = sandboxUrl.url;
    List<PublisherConfig> configs =
        selected.stream()
            .map(
                p ->
                    PublisherConfig.defaults(topics, p, id)
                        .withThreads(threads)
                        .withTimeouts(CONNECT_TIMEOUT, requestTimeout)
                        .withHandOverWait(handOverWait))
            .toList();
    // The health server is bound first: /healthz answers while the workers read the accounts
    // topic and start.
    return health.run(
        (role, healthServer) -> {
          Publishers publishers =
              role.add(
                  Publishers.start(
                      kafka.settings(),
                      configs,
                      http -> platform -> Connectors.forPlatform(platform, http, sandbox, guard),
                      Credentials.fromEnvironment(),
                      Clock.systemUTC()));
          bindMetrics(
              healthServer.registry(),
              publishers,
              Publishers::outcomesWritten,
              p -> p.recoveringPartitions().size());
          role.add(
              ConsumerLag.of(
                      kafka.settings(), configs.stream().map(PublisherConfig::groupId).toList())
                  .bindTo(healthServer.registry()));
          healthServer.readiness(publishers::problem);
          System.out.println(
              "publishing "
                  + selected.stream().map(Platform::wireName).toList()
                  + " as instance "
                  + id
                  + " against "
                  + kafka.bootstrapServers
                  + (sandbox != null ? " through the sandbox at " + sandbox : "")
                  + (allowPrivateEndpoints ? " (private endpoints allowed)" : "")
                  + "; /healthz, /readyz and /metrics on "
                  + health.url(healthServer));
          System.out.flush();
        });
  }

  /**
   * Refuses a request timeout that, with the connect timeout, exceeds {@link
   * Platform#MAX_REQUEST_TIME}: the ledger derives its outcome grace from that figure, so a longer
   * call could write its outcome after the target already ended unknown.
   */
  static void checkRequestTimeout(Duration connect, Duration request) {
    if (request == null || request.isNegative() || request.isZero()) {
      throw new IllegalArgumentException("--request-timeout must be positive, got " + request);
    }
    Duration whole = connect.plus(request);
    if (whole.compareTo(Platform.MAX_REQUEST_TIME) > 0) {
      throw new IllegalArgumentException(
          "--request-timeout "
              + request
              + " plus the "
              + connect
              + " connect timeout is "
              + whole
              + ", more than the "
              + Platform.MAX_REQUEST_TIME
              + " one platform request may take (the ledger's --outcome-grace is derived from it);"
              + " use at most "
              + Platform.MAX_REQUEST_TIME.minus(connect));
    }
  }

  /**
   * The publisher role's own meters: the outcomes its workers wrote, read from {@code workers} with
   * {@code outcomesWritten}. Micrometer holds {@code workers} weakly, so the caller keeps it.
   */
  static <T> void bindMetrics(MeterRegistry registry, T workers, ToIntFunction<T> outcomesWritten) {
    bindMetrics(registry, workers, outcomesWritten, w -> 0);
  }

  /**
   * {@link #bindMetrics(MeterRegistry, Object, ToIntFunction)} and the number of task partitions
   * whose journal recovery has not completed, read with {@code recovering}.
   */
  static <T> void bindMetrics(
      MeterRegistry registry,
      T workers,
      ToIntFunction<T> outcomesWritten,
      ToIntFunction<T> recovering) {
    Gauge.builder(
            "lmp.publisher.journal.recovering.partitions", workers, w -> recovering.applyAsInt(w))
        .description(
            "publish partitions assigned to this process whose journal is still being read; their"
                + " tasks wait until it is")
        .register(registry);
    FunctionCounter.builder(
            "lmp.publisher.outcomes.written", workers, w -> outcomesWritten.applyAsInt(w))
        .description(
            "target outcomes the workers of this process wrote to Kafka (committed transactions)")
        .register(registry);
  }

  /** The platforms named, 'all' meaning every one; an unknown name is an error naming it. */
  static Set<Platform> parsePlatforms(List<String> names) {
    Set<Platform> out = new LinkedHashSet<>();
    for (String name : names) {
      for (String n : name.split(",")) {
        if (n.equalsIgnoreCase("all")) {
          out.addAll(Arrays.asList(Platform.values()));
          continue;
        }
        out.add(
            Platform.byName(n.trim().toLowerCase())
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "unknown platform '"
                                + n
                                + "'; expected one of "
                                + Arrays.stream(Platform.values()).map(Platform::wireName).toList()
                                + " or all")));
      }
    }
    return out;
  }
}
