package dev.letmepost.ledger;

import dev.letmepost.command.Limits;
import dev.letmepost.wire.ClientSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;

/** Runs the ledger topology as a Kafka Streams application (exactly_once_v2). */
public final class LedgerApp {
  /**
   * The ledger's commit interval: how long its answers, tasks and events may wait for their
   * transaction. `lmp bench` measured a first call's p50 300 ms at Streams' exactly-once default of
   * 100 ms, 230 ms at 50 ms and at 25 ms, with no loss of first-seen throughput at 50 ms
   * (docs/benchmarks.md, "Settings the figures depend on").
   */
  public static final int COMMIT_INTERVAL_MS = 50;

  /**
   * The codec of every record the ledger's producer writes (changelogs, tasks, events, answers):
   * LZ4, cheap for the stream thread and readable by every Kafka client. A batch's records, and the
   * rewrites of one replay record within a commit, share most of their bytes.
   */
  public static final String COMPRESSION = "lz4";

  /**
   * The codec of the changelog and repartition topics the ledger creates: ZSTD, which the broker
   * applies to their batches; only Kafka Streams reads them. `lmp bench` measured 960 B of
   * changelog per batch with it, 1606 B with LZ4 and 3893 B uncompressed (docs/benchmarks.md,
   * "Fewer bytes, side by side").
   */
  public static final String CHANGELOG_COMPRESSION = "zstd";

  private LedgerApp() {}

  /**
   * The Streams configuration of the ledger. A record that cannot be deserialized or processed is
   * logged and sent to the dead-letters topic; it never stops a stream thread.
   *
   * @param client the cluster and the operator's client settings (security.protocol, ssl.*, sasl.*,
   *     ...), which win over the product's defaults here
   * @param overrides any further Streams settings ({@code --streams-config}: they win over all)
   */
  public static Properties streamsProperties(
      LedgerConfig config, ClientSettings client, Path stateDir, Map<String, ?> overrides) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.topics().prefix() + "ledger");
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueExceptionHandler.class.getName());
    p.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueProcessingExceptionHandler.class.getName());
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    p.put(
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
        config.topics().deadLetters().name());
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL_MS);
    // Process whatever is buffered, never idling a task for an empty input partition: no decision
    // depends on the order of records across the task's topics (each is ordered within its
    // partition, which is all the ledger relies on), and the check the default runs per record
    // cost a fifth of the stream thread's time in `lmp bench` (docs/benchmarks.md).
    p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, OversizeGuard.class.getName());
    p.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        Limits.MAX_REQUEST_SIZE);
    putStorageDefaults(p);
    putRecoveryDefaults(p);
    p.putAll(client.config());
    p.putAll(overrides);
    return p;
  }

  /**
   * What the ledger's records and stores take on disk and in memory: compressed records and
   * changelogs, and RocksDB within one budget per instance ({@link LedgerRocksDb}).
   */
  static void putStorageDefaults(Properties p) {
    // Unprefixed, so that --streams-config compression.type=... overrides it (a producer. setting
    // would take precedence over any unprefixed one). The topic setting applies to the changelog
    // and repartition topics Streams creates; existing topics keep theirs.
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, COMPRESSION);
    p.put(StreamsConfig.topicPrefix(TopicConfig.COMPRESSION_TYPE_CONFIG), CHANGELOG_COMPRESSION);
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, LedgerRocksDb.class.getName());
    p.put(LedgerRocksDb.MEMORY_CONFIG, LedgerRocksDb.DEFAULT_MEMORY);
  }

  /**
   * How fast the ledger takes over the work of an instance that died (SIGKILL, a lost host): the
   * settings CrashMatrixIT measured (docs/operations.md, "Recovery after a crash"). Kafka's
   * defaults let a survivor answer nothing for about 50 s after the death of one of two instances.
   */
  static void putRecoveryDefaults(Properties p) {
    // Unprefixed keys on purpose: Streams gives any prefixed setting (consumer., main.consumer.,
    // producer.) precedence over them, so every --streams-config spelling overrides these.
    //
    // A dead instance is noticed after 6 s (the broker's group.min.session.timeout.ms default)
    // instead of the consumer's 45 s; three heartbeats fit in a session.
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_500);
    // The dead instance's open transaction wrote to every partition of the repartition and
    // results topics; until the coordinator aborts it, no read_committed reader (the survivor's
    // tasks, every gateway's results consumer) gets past it. The coordinator aborts it after
    // transaction.timeout.ms (Streams' default 10 s) plus up to one broker abort check
    // (transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s). A ledger transaction
    // lasts about one commit interval (50 ms): 5 s leaves room for slow commits.
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 5_000);
    // A warm copy of every store on another instance: the survivor takes a task over without
    // restoring its changelog first.
    p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
    // A restarted instance warms up its tasks while the survivor keeps them; probing every
    // minute (the minimum) instead of every 10 minutes gives them back soon.
    p.put(StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG, 60_000);
  }

  /**
   * Checks that the outcomes topic has as many partitions as the fingerprint repartition topic
   * will: otherwise outcomes would not meet their batch's replay record.
   */
  public static void checkCopartitioning(LedgerConfig config, ClientSettings client) {
    try (Admin admin = Admin.create(client.config())) {
      String outcomes = config.topics().outcomes().name();
      TopicDescription d =
          admin.describeTopics(java.util.List.of(outcomes)).allTopicNames().get().get(outcomes);
      if (d.partitions().size() != config.partitions()) {
        throw new IllegalStateException(
            "topic "
                + outcomes
                + " has "
                + d.partitions().size()
                + " partitions but the ledger repartitions commands into "
                + config.partitions()
                + "; set --partitions to "
                + d.partitions().size());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topics", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(
          "cannot describe topic "
              + config.topics().outcomes().name()
              + " at "
              + client.bootstrapServers()
              + ": "
              + e.getCause().getMessage(),
          e.getCause());
    }
  }

  /**
   * Builds and starts the ledger, a dead stream thread replaced as {@link ThreadFailures} says; the
   * caller closes the returned instance.
   */
  public static KafkaStreams start(LedgerConfig config, Properties streamsProperties) {
    KafkaStreams streams = new KafkaStreams(LedgerTopology.topology(config), streamsProperties);
    streams.setUncaughtExceptionHandler(new ThreadFailures(Clock.systemUTC()));
    streams.start();
    return streams;
  }
}
