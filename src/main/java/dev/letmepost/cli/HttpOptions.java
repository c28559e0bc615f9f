package dev.letmepost.cli;

import dev.letmepost.command.Limits;
import dev.letmepost.gateway.GatewayConfig;
import dev.letmepost.gateway.GatewayService;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The HTTP API options {@code serve} and {@code gateway} share. */
final class HttpOptions {
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

  /** What starts the rest of a role once its gateway listens and the services it reads run. */
  @FunctionalInterface
  interface Start {
    void start(RunningRole role, GatewayService gateway, Services services) throws Exception;
  }

  /**
   * Runs the role {@code name} until stopped ({@link RunningRole#run}): the gateway, bound first as
   * its front door, then the {@link Services} that {@code services} makes of the gateway's Kafka
   * Streams settings (its address is the ledger's {@code application.server}), then {@code start}.
   */
  int run(String name, Function<Map<String, String>, Services.Options> services, Start start)
      throws Exception {
    return RunningRole.run(
        name,
        role -> {
          GatewayService gateway = role.frontDoor(GatewayService.bind(options()));
          Services started = role.add(Services.start(services.apply(gateway.streamsOverrides())));
          role.stopWhen(started::ledgerFailure);
          start.start(role, gateway, started);
        });
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
