package dev.letmepost.ledger;

import dev.letmepost.command.Preflight;
import dev.letmepost.http.Validation;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.Json;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The dry run of a post ({@code POST /v1/posts/validate}): what the ledger would answer a new
 * {@code POST /v1/posts} of a body now, by its own rules, recording nothing. A body that fails the
 * check of a new post ({@link DecideRequest#check}: preflight and the scheduling rule) gets the
 * {@code 400 preflight_failed} answer the ledger would give, byte for byte; any other gets {@code
 * 200} and the {@link Validation} of each target ({@link ResolveTargets#verdicts}).
 *
 * <p>Targets are resolved in the global accounts store ({@link LedgerTopology#ACCOUNTS_STORE}),
 * which every ledger instance holds whole: any instance answers any principal, with no Kafka round
 * trip and no forwarding. What a key already recorded is not looked at: the verdict is always that
 * of a new request.
 */
public final class DryRun {
  /** A dry run's answer: its HTTP status and body. */
  public record Verdict(int status, ByteString body) {
    public Verdict {
      Objects.requireNonNull(body, "body");
    }
  }

  private final Supplier<ReadOnlyKeyValueStore<String, Account>> accounts;
  private final LedgerConfig config;

  /**
   * @param accounts the accounts store, fetched anew for each dry run (so that a store replaced
   *     while the instance restarts is noticed)
   */
  public DryRun(Supplier<ReadOnlyKeyValueStore<String, Account>> accounts, LedgerConfig config) {
    this.accounts = Objects.requireNonNull(accounts, "accounts");
    this.config = Objects.requireNonNull(config, "config");
  }

  /** The dry runs of a ledger instance running in this process, on its global accounts store. */
  public static DryRun of(KafkaStreams streams, LedgerConfig config) {
    return new DryRun(
        () ->
            streams.store(
                StoreQueryParameters.fromNameAndType(
                    LedgerTopology.ACCOUNTS_STORE,
                    QueryableStoreTypes.<String, Account>keyValueStore())),
        config);
  }

  /**
   * The verdict on a post of {@code body} by {@code principal}, first seen at {@code now}.
   *
   * @throws org.apache.kafka.streams.errors.InvalidStateStoreException when the accounts store is
   *     not queryable right now
   */
  public Verdict validate(String principal, byte[] body, Instant now) {
    Preflight.Result checked =
        DecideRequest.check(Preflight::check, config, body, now.toEpochMilli());
    if (!checked.ok()) {
      return new Verdict(Answers.BAD_REQUEST, Answers.preflightFailed(checked.errors()));
    }
    List<Validation.Result> results =
        ResolveTargets.verdicts(new AccountDirectory(accounts.get()), principal, checked.request())
            .stream()
            .map(DryRun::result)
            .toList();
    return new Verdict(Answers.OK, ByteString.copyOf(Json.write(Validation.of(results))));
  }

  private static Validation.Result result(ResolveTargets.Verdict v) {
    return new Validation.Result(
        v.accountId(),
        v.platform(),
        v instanceof ResolveTargets.Accepted,
        v instanceof ResolveTargets.Refused r ? r.error() : null);
  }
}
