package dev.letmepost.ledger;

import dev.letmepost.command.Command;
import dev.letmepost.command.CommandSerde;
import dev.letmepost.command.Preflight;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The ledger: a pure builder of the Kafka Streams topology that deduplicates post commands, fans
 * new batches out to the platform topics, folds outcomes into batch envelopes and answers every
 * request on the results topic (docs/contract.md).
 *
 * <pre>
 * post-commands -> parse-command -+-> dead-letters
 *                                 +-> by-fingerprint (repartition) -> decide-request --+
 *                                 +-> (already in its fingerprint's partition) ---^    |
 *                                 +-> by-batch (repartition) -> decide-action --------+
 * target-outcomes -> fold-outcome (+ expire-overdue timer) ---------------------------+-> post-results
 *        ^                                                                             +-> publish.&lt;platform&gt;
 *        |                                                                             +-> post-events
 *        +----------------------------------------------------------------------------+-> outcome-ticks
 * accounts -> index-accounts (global store)
 * </pre>
 *
 * <p>Batch actions (docs/contract.md#batch-actions) are routed by the batch id they name: a batch
 * id is chosen in its batch's partition ({@link Decisions#batchId}), so the by-batch repartition
 * brings the action to {@code decide-action} in the task that holds the batch, where it shares the
 * stores with {@code decide-request} and {@code fold-outcome} and finds the batch in the batch
 * index.
 *
 * <p>Both processors also emit the lifecycle events of the batches they change ({@link PostEvents})
 * to {@code post-events}, in the same transaction as the change.
 *
 * <p>{@code decide-request} also keeps two indexes for the gateway's reads ({@link LedgerReads}):
 * request id to what became of it, batch id to its fingerprint.
 */
public final class LedgerTopology {
  /** Replay records by fingerprint, windowed by first-request time; retention TTL + skew. */
  public static final String REPLAY_STORE = "replay-records";

  /** The open-batch index: due time + first-request time + fingerprint -> first-request time. */
  public static final String TIMER_STORE = "open-batch-timers";

  /**
   * The request index: request id, windowed by the time the request was filed, to a pointer at its
   * replay record or the error it was answered with; retention TTL + skew, as the replay records.
   */
  public static final String REQUEST_INDEX = "request-index";

  /**
   * The batch index: batch id, windowed by first-request time, to its fingerprint (the key its
   * replay record is filed under); batch actions find their batch here.
   */
  public static final String BATCH_INDEX = "batch-index";

  /** Accounts by id, plus the per-principal, per-platform index (global). */
  public static final String ACCOUNTS_STORE = "accounts";

  /** The stores a decision on a command ({@link Decisions}) reads and writes. */
  private static final String[] DECIDER_STORES = {
    REPLAY_STORE, TIMER_STORE, REQUEST_INDEX, BATCH_INDEX
  };

  private LedgerTopology() {}

  public static Topology topology(LedgerConfig config) {
    StreamsBuilder builder = new StreamsBuilder();
    build(builder, config);
    return builder.build();
  }

  public static void build(StreamsBuilder builder, LedgerConfig config) {
    build(builder, config, Preflight::check, Effects.Fault.NONE);
  }

  /**
   * The topology with another body check and a fault in the deciders (tests: both throw to prove
   * every exception is answered and leaves nothing else behind).
   */
  static Topology topology(
      LedgerConfig config, Function<byte[], Preflight.Result> preflight, Effects.Fault fault) {
    StreamsBuilder builder = new StreamsBuilder();
    build(builder, config, preflight, fault);
    return builder.build();
  }

  private static void build(
      StreamsBuilder builder,
      LedgerConfig config,
      Function<byte[], Preflight.Result> preflight,
      Effects.Fault fault) {
    Topics topics = config.topics();
    Duration retention = config.retention();
    // No record cache in front of the replay store: a retry's range fetch through the cache merges
    // a cache iterator with the RocksDB one, and `lmp bench` measured replays 25-35 % and
    // conflicts 70 % faster without it; what the cache saved (a batch's writes folded within one
    // commit) is 1.2 changelog records per first-seen batch, which compaction removes anyway
    // (docs/benchmarks.md, "Settings the figures depend on").
    builder.addStateStore(
        Stores.windowStoreBuilder(
                Stores.persistentWindowStore(REPLAY_STORE, retention, Duration.ofMillis(1), false),
                Serdes.String(),
                ReplayRecordCodec.serde())
            .withCachingDisabled());
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(TIMER_STORE), Serdes.String(), Serdes.Long()));
    builder.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(REQUEST_INDEX, retention, Duration.ofMillis(1), false),
            Serdes.String(),
            RequestEntryCodec.serde()));
    builder.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(BATCH_INDEX, retention, Duration.ofMillis(1), false),
            Serdes.String(),
            Serdes.String()));
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ACCOUNTS_STORE),
                Serdes.String(),
                topics.accounts().valueSerde())
            .withLoggingDisabled(),
        topics.accounts().name(),
        Consumed.with(topics.accounts().keySerde(), Serdes.ByteArray()).withName("accounts"),
        IndexAccounts::new);

    var parsed =
        builder.stream(
                topics.commands().name(),
                Consumed.with(topics.commands().keySerde(), topics.commands().valueSerde())
                    .withName("post-commands"))
            .process(() -> new ParseCommand(config.partitions()), Named.as("parse-command"))
            .split(Named.as("parsed-"))
            .branch((key, p) -> p instanceof Parsed.DeadLetter, Branched.as("dead-letter"))
            .branch((requestId, p) -> p instanceof Parsed.Reply, Branched.as("reply"))
            .branch((batchId, p) -> p instanceof Parsed.Action, Branched.as("action"))
            .branch((fingerprint, p) -> p instanceof Parsed.LocalPost, Branched.as("local"))
            .defaultBranch(Branched.as("command"));

    parsed
        .get("parsed-reply")
        .mapValues(p -> ((Parsed.Reply) p).body().toByteArray(), Named.as("unwrap-parse-reply"))
        .to(
            topics.results().name(),
            Produced.with(topics.results().keySerde(), topics.results().valueSerde())
                .withName("parse-results"));

    parsed
        .get("parsed-dead-letter")
        .map(
            (k, p) -> {
              Parsed.DeadLetter dead = (Parsed.DeadLetter) p;
              return KeyValue.pair(bytes(dead.key()), bytes(dead.value()));
            },
            Named.as("unwrap-dead-letter"))
        .to(
            topics.deadLetters().name(),
            Produced.with(topics.deadLetters().keySerde(), topics.deadLetters().valueSerde())
                .withName("dead-letters"));

    KStream<String, Emission> decided =
        parsed
            .get("parsed-command")
            .mapValues(p -> ((Parsed.Post) p).command(), Named.as("unwrap-command"))
            .repartition(commandsBy("by-fingerprint", config))
            .merge(
                parsed
                    .get("parsed-local")
                    .mapValues(p -> ((Parsed.LocalPost) p).command(), Named.as("unwrap-local")),
                Named.as("commands-here"))
            .process(
                () -> new DecideRequest(config, preflight, fault),
                Named.as("decide-request"),
                DECIDER_STORES);

    KStream<String, Emission> actioned =
        parsed
            .get("parsed-action")
            .mapValues(p -> ((Parsed.Action) p).command(), Named.as("unwrap-action"))
            .repartition(commandsBy("by-batch", config))
            .process(
                () -> new DecideAction(config, fault), Named.as("decide-action"), DECIDER_STORES);

    KStream<String, Emission> folded =
        builder.stream(
                topics.outcomes().name(),
                Consumed.with(topics.outcomes().keySerde(), Inbound.serde())
                    .withName("target-outcomes"))
            .process(
                () -> new FoldOutcome(config), Named.as("fold-outcome"), REPLAY_STORE, TIMER_STORE);

    decided
        .merge(folded, Named.as("emissions"))
        .merge(actioned, Named.as("action-emissions"))
        .split(Named.as("emit-"))
        .branch(
            (key, e) -> e instanceof Emission.Task,
            Branched.withConsumer(
                tasks ->
                    tasks
                        .mapValues(e -> ((Emission.Task) e).task(), Named.as("unwrap-task"))
                        .to(
                            new PublishTopic(topics),
                            Produced.with(Serdes.String(), Json.serde(PublishTask.class))
                                .withName("publish-tasks")),
                "task"))
        .branch(
            (key, e) -> e instanceof Emission.Event,
            Branched.withConsumer(
                events ->
                    events
                        .mapValues(e -> ((Emission.Event) e).event(), Named.as("unwrap-event"))
                        .to(
                            topics.events().name(),
                            Produced.with(topics.events().keySerde(), topics.events().valueSerde())
                                .withName("post-events")),
                "event"))
        .branch(
            (key, e) -> e instanceof Emission.Tick,
            Branched.withConsumer(
                ticks ->
                    ticks
                        .mapValues(
                            e -> Inbound.tickValue(((Emission.Tick) e).at()),
                            Named.as("unwrap-tick"))
                        .to(
                            topics.outcomes().name(),
                            Produced.with(Serdes.String(), Serdes.ByteArray())
                                .withStreamPartitioner(Inbound.tickPartitioner())
                                .withName("outcome-ticks")),
                "tick"))
        .defaultBranch(
            Branched.withConsumer(
                replies ->
                    replies
                        .mapValues(
                            e -> ((Emission.Reply) e).body().toByteArray(),
                            Named.as("unwrap-reply"))
                        .to(
                            topics.results().name(),
                            Produced.with(
                                    topics.results().keySerde(), topics.results().valueSerde())
                                .withName("post-results")),
                "reply"));
  }

  /**
   * A repartition of commands by their key ({@code name}: by fingerprint, by batch id) into the
   * ledger's partitions.
   */
  private static Repartitioned<String, Command> commandsBy(String name, LedgerConfig config) {
    return Repartitioned.<String, Command>as(name)
        .withKeySerde(Serdes.String())
        .withValueSerde(new CommandSerde())
        .withNumberOfPartitions(config.partitions());
  }

  private static byte[] bytes(ByteString b) {
    return b == null ? null : b.toByteArray();
  }
}
