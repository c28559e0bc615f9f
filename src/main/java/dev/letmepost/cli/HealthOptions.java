package dev.letmepost.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --health-host} and {@code --health-port} options of a role without an HTTP API of its
 * own: where its {@link HealthServer} listens. Each role has its own default port, so that the
 * roles run side by side on one host.
 */
final class HealthOptions {
  private final String role;

  @Option(
      names = "--health-host",
      defaultValue = "127.0.0.1",
      description = "address /healthz, /readyz and /metrics listen on (default: ${DEFAULT-VALUE})")
  String host;

  @Option(
      names = "--health-port",
      description =
          "port of /healthz, /readyz and /metrics, 0 for a free one (default: ${DEFAULT-VALUE})")
  int port;

  /** The options of {@code role}, listening on {@code defaultPort} unless told otherwise. */
  HealthOptions(String role, int defaultPort) {
    this.role = role;
    this.port = defaultPort;
  }

  /** Starts the role's health server; not ready until the role says so. */
  HealthServer start() {
    return HealthServer.start(role, host, port);
  }
}
