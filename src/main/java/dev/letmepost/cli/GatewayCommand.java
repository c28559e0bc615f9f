package dev.letmepost.cli;

import dev.letmepost.ledger.LedgerConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
  @Mixin HttpOptions http;

  @Mixin LedgerOptions ledgerOptions;

  // Webhook routes: --webhook-signing-key-file, --webhook-allow-private-addresses
  @Mixin WebhooksCommand.Options webhookOptions;

  @Mixin ClusterOptions cluster;

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
    return http.run(
        "gateway",
        overrides -> cluster.ledgerOnly(ledger, ledgerOptions.streamsOverrides(overrides)),
        (role, gateway, services) -> {
          String demoKey = null;
          if (demo) {
            Services.registerDemoAccounts(services.client(), ledger.topics());
            demoKey = Services.registerDemoApiKey(services.client(), ledger.topics());
          }
          gateway.attach(services.client(), ledger.topics(), ledger, services.ledger());
          webhookOptions.routes(services.client(), ledger.topics(), gateway);
          System.out.println(
              "HTTP API on http://"
                  + http.host
                  + ":"
                  + gateway.port()
                  + " (ledger against "
                  + services.bootstrapServers()
                  + "; ready when GET /readyz answers 200)");
          if (demoKey != null) {
            System.out.println(
                "demo API key (principal " + Services.DEMO_PRINCIPAL + "): " + demoKey);
          }
          System.out.flush();
        });
  }
}
