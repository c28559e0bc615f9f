package dev.letmepost.cli;

import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.platform.sandbox.SandboxServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lmp sandbox}: the sandbox platform as an HTTP server ({@link SandboxServer}), with the
 * failures of a real platform injected on demand, until interrupted.
 */
@Command(
    name = "sandbox",
    mixinStandardHelpOptions = true,
    description =
        "Run the sandbox platform: a fake social platform over HTTP that saves posts to"
            + " <data-dir>/sandbox/posts.jsonl and can inject latency, 500s, 429s and hang-ups.")
final class SandboxCommand implements Callable<Integer> {
  /*
   * Values are checked here, with the option's name in the message, rather than left to Faults
   * (whose messages name record components): the user typed --error-rate, not errorRate. Parsing
   * errors of a number stay picocli's usage errors, like every other command's.
   *
   * One sandbox per directory: SandboxPlatform keeps its dedup index in memory, so this command
   * and `lmp serve`'s in-process demo sandbox must not share a data directory at the same time.
   */

  private static final Pattern SHORT_DURATION =
      Pattern.compile("(\\d+)(ms|s|m)", Pattern.CASE_INSENSITIVE);

  @Spec CommandSpec spec;

  @Mixin DataDirOption dataDir;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "address to listen on (default: ${DEFAULT-VALUE})")
  String host;

  @Option(
      names = "--port",
      defaultValue = "8090",
      description = "port to listen on, 0 for a free one (default: ${DEFAULT-VALUE})")
  int port;

  @Option(
      names = "--latency",
      defaultValue = "0ms",
      description =
          "added to every post and lookup before answering, e.g. 250ms, 2s or PT1M (default: ${DEFAULT-VALUE})")
  String latency;

  @Option(
      names = "--error-rate",
      defaultValue = "0",
      description = "share of posts answered 500 without saving (default: ${DEFAULT-VALUE})")
  double errorRate;

  @Option(
      names = "--rate-limit-rate",
      defaultValue = "0",
      description =
          "share of posts answered 429 with Retry-After: 1 without saving (default: ${DEFAULT-VALUE})")
  double rateLimitRate;

  @Option(
      names = "--hangup-rate",
      defaultValue = "0",
      description =
          "share of posts saved and then hung up on with no answer (default: ${DEFAULT-VALUE})")
  double hangupRate;

  @Option(
      names = "--no-dedup",
      description =
          "post again on a repeated Idempotency-Key, like a platform without idempotency (X,"
              + " Telegram): shows in posts.jsonl what a naive retry does")
  boolean noDedup;

  @Option(
      names = "--no-lookup",
      description = "answer the lookup by idempotency key with 501, like a platform without one")
  boolean noLookup;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "seed of the random fault draws (default: ${DEFAULT-VALUE})")
  long seed;

  @Mixin HealthOptions health = new HealthOptions("sandbox", 8091);

  @Override
  public Integer call() throws Exception {
    return health.run(
        (role, healthServer) -> {
          role.add(open());
          healthServer.readiness(Optional::empty);
          spec.commandLine()
              .getOut()
              .println("sandbox: /healthz, /readyz and /metrics on " + health.url(healthServer));
          spec.commandLine().getOut().flush();
        });
  }

  /** Checks the options, starts the server and prints where it listens. */
  SandboxServer open() {
    Faults faults = faults();
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("--port must be between 0 and 65535, got " + port);
    }
    Path sandboxDir = dataDir.path.resolve("sandbox");
    SandboxPlatform platform = new SandboxPlatform(sandboxDir, Clock.systemUTC());
    SandboxServer server = SandboxServer.start(platform, host, port, faults);
    spec.commandLine()
        .getOut()
        .println(
            "sandbox platform listening on "
                + server.uri()
                + " (posts in "
                + sandboxDir.resolve(SandboxPlatform.POSTS_FILE)
                + ")");
    spec.commandLine().getOut().flush();
    return server;
  }

  /** The faults the options ask for; a bad value is an error naming its option. */
  Faults faults() {
    requireRate("--error-rate", errorRate);
    requireRate("--rate-limit-rate", rateLimitRate);
    requireRate("--hangup-rate", hangupRate);
    if (errorRate + rateLimitRate + hangupRate > 1 + 1e-9) {
      throw new IllegalArgumentException(
          "--error-rate + --rate-limit-rate + --hangup-rate must be at most 1, got "
              + errorRate
              + " + "
              + rateLimitRate
              + " + "
              + hangupRate);
    }
    return new Faults(
        duration("--latency", latency),
        errorRate,
        rateLimitRate,
        hangupRate,
        !noLookup,
        seed,
        !noDedup);
  }

  /**
   * {@code 250ms}, {@code 2s}, {@code 1m} or an ISO-8601 duration such as {@code PT0.5S}, the value
   * of {@code option} (named in the error).
   */
  static Duration duration(String option, String value) {
    String v = value.trim();
    Matcher m = SHORT_DURATION.matcher(v);
    try {
      if (m.matches()) {
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "ms" -> Duration.ofMillis(amount);
          case "s" -> Duration.ofSeconds(amount);
          default -> Duration.ofMinutes(amount);
        };
      }
      Duration d = Duration.parse(v);
      if (!d.isNegative()) {
        return d;
      }
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        option + " must be a duration like 250ms, 2s or PT1M, got '" + value + "'");
  }

  private static void requireRate(String option, double rate) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException(option + " must be between 0 and 1, got " + rate);
    }
  }
}
