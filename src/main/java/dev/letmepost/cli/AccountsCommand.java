package dev.letmepost.cli;

import dev.letmepost.net.AddressGuard;
import dev.letmepost.publish.Credentials;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Topics;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lmp accounts add|list|remove}: manages the compacted accounts topic. */
@Command(
    name = "accounts",
    mixinStandardHelpOptions = true,
    description = "Manage the accounts topic.",
    subcommands = {
      AccountsCommand.Add.class,
      AccountsCommand.ListAccounts.class,
      AccountsCommand.Remove.class
    })
final class AccountsCommand extends UsageCommand {
  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = "Add or replace an account.")
  static final class Add extends ClientCommand {

    @Option(names = "--id", required = true, description = "account id, e.g. acc_123")
    String id;

    @Option(names = "--principal", required = true, description = "the API key id that owns it")
    String principal;

    @Option(
        names = "--platform",
        required = true,
        description =
            "twitter, linkedin, bluesky, mastodon, threads, telegram, discord, slack or sandbox")
    String platform;

    @Option(names = "--handle", description = "display handle")
    String handle;

    @Option(
        names = "--credentials",
        paramLabel = "REF",
        description =
            "where the publisher finds the secret: env:NAME (an environment variable) or"
                + " file:PATH; never the secret itself, which would travel in a topic")
    String credentials;

    @Option(
        names = "--endpoint",
        paramLabel = "URL",
        description =
            "the platform API base URL for this account (a Mastodon instance, a Bluesky PDS);"
                + " default: the platform's public API")
    String endpoint;

    @Option(
        names = "--allow-private-endpoints",
        description =
            "accept an --endpoint that resolves to a loopback, private, link-local or shared"
                + " address (the publishers need the same switch to call it)")
    boolean allowPrivateEndpoints;

    @Option(names = "--disconnected", description = "mark the account disconnected")
    boolean disconnected;

    /** Resolves the endpoint's host; tests replace it. */
    AddressGuard.Resolver resolver = AddressGuard.Resolver.SYSTEM;

    @Option(
        names = "--default",
        description = "make it the principal's default account on its platform")
    boolean isDefault;

    @Override
    public Integer call() {
      if (credentials != null) {
        Credentials.checkReference(credentials);
      }
      if (endpoint != null) {
        checkEndpoint(endpoint, new AddressGuard.Policy(false, allowPrivateEndpoints), resolver);
      }
      Account account =
          new Account(
              id,
              principal,
              platform,
              handle,
              disconnected ? Account.Status.disconnected : Account.Status.connected,
              credentials,
              isDefault,
              endpoint);
      send(kafka, account.accountId(), account);
      out()
          .println(
              "added "
                  + account.accountId()
                  + " ("
                  + account.platform()
                  + ", principal "
                  + account.principal()
                  + ", "
                  + account.status()
                  + ")");
      return 0;
    }

    /**
     * Refuses an endpoint the publishers' address policy would refuse at every call: not https, or
     * a host that resolves to a loopback, private, link-local, shared, unspecified or multicast
     * address (unless {@code policy} allows private ones). The publishers check again before each
     * call: a host can resolve elsewhere later.
     */
    static void checkEndpoint(
        String endpoint, AddressGuard.Policy policy, AddressGuard.Resolver r) {
      try {
        new AddressGuard(policy, r)
            .checkCall(AddressGuard.parse(endpoint), "--allow-private-endpoints");
      } catch (AddressGuard.Refused e) {
        throw new IllegalArgumentException(
            "endpoint '" + AddressGuard.echo(endpoint) + "' refused: " + e.getMessage());
      }
    }
  }

  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = "Remove an account (writes a tombstone).")
  static final class Remove extends ClientCommand {

    @Option(names = "--id", required = true, description = "account id")
    String id;

    @Override
    public Integer call() {
      send(kafka, id, null);
      out().println("removed " + id);
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the current accounts.")
  static final class ListAccounts extends ClientCommand {

    @Option(names = "--principal", description = "only this principal's accounts")
    String principal;

    @Override
    public Integer call() {
      java.io.PrintWriter out = out();
      Map<String, Account> accounts = readAll(kafka.settings(), kafka.topics(), err());
      out.printf("%-24s %-10s %-16s %-12s %s%n", "ID", "PLATFORM", "PRINCIPAL", "STATUS", "HANDLE");
      accounts.values().stream()
          .filter(a -> principal == null || a.principal().equals(principal))
          .forEach(
              a ->
                  out.printf(
                      "%-24s %-10s %-16s %-12s %s%s%n",
                      a.accountId(),
                      a.platform(),
                      a.principal(),
                      a.status(),
                      a.handle() == null ? "" : a.handle(),
                      a.isDefault() ? " (default)" : ""));
      out.flush();
      return 0;
    }
  }

  private static void send(KafkaOptions kafka, String id, Account account) {
    Topics topics = kafka.topics();
    try (KafkaProducer<String, Account> producer =
        new KafkaProducer<>(
            kafka.settings().config(Map.of(ProducerConfig.ACKS_CONFIG, "all")),
            topics.accounts().keySerde().serializer(),
            topics.accounts().valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(topics.accounts().name(), id, account));
      producer.flush();
    }
  }

  /** The accounts topic read from the start to its current end: the latest value per id. */
  /**
   * The accounts topic read from the start to its current end: the latest value per id. A record
   * that is not a valid account is reported on {@code err} and skipped, as the ledger skips it.
   */
  static Map<String, Account> readAll(
      ClientSettings client, Topics topics, java.io.PrintWriter err) {
    Map<String, Account> accounts = new TreeMap<>();
    for (ConsumerRecord<String, byte[]> r :
        TopicReader.readAll(
            client,
            topics.accounts().name(),
            topics.accounts().keySerde().deserializer(),
            new ByteArrayDeserializer())) {
      if (r.value() == null) {
        accounts.remove(r.key());
        continue;
      }
      try {
        accounts.put(r.key(), Json.read(r.value(), Account.class));
      } catch (SerializationException e) {
        err.println(
            "lmp accounts: skipping record '"
                + r.key()
                + "' at offset "
                + r.offset()
                + ": "
                + e.getMessage());
      }
    }
    return accounts;
  }
}
