package dev.letmepost.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --health-host} and {@code --health-port} options of a role without an HTTP API of its
 * own ({@code ledger}, {@code publisher}, {@code sandbox}, {@code webhooks dispatch}), and how such
 * a role runs: its {@link HealthServer} bound first, so that {@code /healthz} answers while the
 * role starts. Each role has its own default port, so that the roles run side by side on one host.
 */
final class HealthOptions {
  /** What starts a role's parts once its health server listens (not ready until told). */
  @FunctionalInterface
  interface Start {
    void start(RunningRole role, HealthServer health) throws Exception;
  }

  private final String role;

  @Option(
      names = "--health-host",
      paramLabel = "<healthHost>",
      defaultValue = "127.0.0.1",
      description = "address /healthz, /readyz and /metrics listen on (default: ${DEFAULT-VALUE})")
  String host;

  @Option(
      names = "--health-port",
      paramLabel = "<healthPort>",
      description =
          "port of /healthz, /readyz and /metrics, 0 for a free one (default: ${DEFAULT-VALUE})")
  int port;

  /** The options of {@code role}, listening on {@code defaultPort} unless told otherwise. */
  HealthOptions(String role, int defaultPort) {
    this.role = role;
    this.port = defaultPort;
  }

  /** Runs the role until stopped ({@link RunningRole#run}), its health server bound first. */
  int run(Start start) throws Exception {
    return RunningRole.run(
        role, running -> start.start(running, running.add(HealthServer.start(role, host, port))));
  }

  /** Where {@code server}'s routes are: {@code http://<host>:<port>}, the host as given. */
  String url(HealthServer server) {
    return "http://" + host + ":" + server.port();
  }
}
