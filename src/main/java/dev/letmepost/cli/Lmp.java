package dev.letmepost.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lmp} command line: run the services or the gateway, post, manage accounts and keys.
 */
@Command(
    name = "lmp",
    mixinStandardHelpOptions = true,
    version = "letmepost-streams 0.1.0",
    description = "Idempotent multi-platform publishing on Apache Kafka.",
    subcommands = {
      ServeCommand.class,
      PostCommand.class,
      AccountsCommand.class,
      PublisherCommand.class,
      SandboxCommand.class,
      GatewayCommand.class,
      KeysCommand.class,
      LedgerCommand.class,
      WebhooksCommand.class,
      BenchCommand.class
    })
public final class Lmp extends UsageCommand {
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured picocli command line (also used by tests). */
  public static CommandLine commandLine() {
    return new CommandLine(new Lmp())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(
            (e, cli, parsed) -> {
              cli.getErr().println("lmp " + cli.getCommandName() + ": " + e.getMessage());
              return 1;
            });
  }
}
