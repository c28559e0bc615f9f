package dev.letmepost.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import picocli.CommandLine.Option;

/**
 * The {@code --instance-id} option of the roles that run transactional workers ({@code serve},
 * {@code publisher}, {@code webhooks dispatch}): the process's stable id, by default the host name
 * and the role.
 */
final class InstanceIdOption {
  private final String role;

  @Option(
      names = "--instance-id",
      paramLabel = "<instanceId>",
      description =
          "this process's stable id, unique among the running processes of its role; part of its"
              + " workers' transactional ids, so that a restart with the same id takes over their"
              + " partitions and transactions at once (default: the host name and the role,"
              + " <host name>-serve, -publisher or -webhooks)")
  String given;

  /** The option of {@code role}, the suffix of the default id. */
  InstanceIdOption(String role) {
    this.role = role;
  }

  /** The id given, else {@code <host name>-<role>}. */
  String id() {
    return given != null ? given : hostName() + "-" + role;
  }

  /** This host's name, with every character a transactional id should not hold replaced. */
  static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
