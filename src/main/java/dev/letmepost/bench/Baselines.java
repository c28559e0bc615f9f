package dev.letmepost.bench;

import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The two baselines the ledger is measured against, as pure topology builders over the same
 * commands topic: a pass-through (read a command, write it unchanged) and the deduplication a user
 * would write by hand after Confluent's event-deduplication example (a window store keyed by the
 * record key; the first record of a key fanned out to N output topics, later ones dropped).
 */
final class Baselines {
  /** The name of every baseline output topic after the topic prefix. */
  static final String OUTPUT_PREFIX = "bench-";

  static final String DEDUP_STORE = "dedup-seen";

  private Baselines() {}

  static String passthroughOutput(Topics topics) {
    return topics.prefix() + OUTPUT_PREFIX + "passthrough-out";
  }

  static List<String> dedupOutputs(Topics topics, int targets) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < targets; i++) {
      out.add(topics.prefix() + OUTPUT_PREFIX + "dedup-out-" + i);
    }
    return out;
  }

  static Topology passthrough(Topics topics) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(
            topics.commands().name(),
            Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("commands"))
        .to(
            passthroughOutput(topics),
            Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("out"));
    return builder.build();
  }

  /** The hand-written dedup, keys remembered for {@code window}. */
  static Topology dedup(Topics topics, int targets, Duration window) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(DEDUP_STORE, window, window, false),
            Serdes.ByteArray(),
            Serdes.Long()));
    KStream<byte[], byte[]> firsts =
        builder.stream(
                topics.commands().name(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("commands"))
            .process(() -> new DropDuplicates(window), Named.as("drop-duplicates"), DEDUP_STORE);
    List<String> outputs = dedupOutputs(topics, targets);
    for (int i = 0; i < outputs.size(); i++) {
      firsts.to(
          outputs.get(i),
          Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("out-" + i));
    }
    return builder.build();
  }

  /** Forwards the first record of each key seen within the window and drops the others. */
  static final class DropDuplicates implements Processor<byte[], byte[], byte[], byte[]> {
    private final long windowMs;
    private ProcessorContext<byte[], byte[]> context;
    private WindowStore<byte[], Long> seen;

    DropDuplicates(Duration window) {
      this.windowMs = window.toMillis();
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
      this.seen = context.getStateStore(DEDUP_STORE);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      if (record.key() == null) {
        context.forward(record);
        return;
      }
      long t = record.timestamp();
      boolean duplicate;
      try (WindowStoreIterator<Long> earlier = seen.fetch(record.key(), t - windowMs, t)) {
        duplicate = earlier.hasNext();
      }
      if (!duplicate) {
        seen.put(record.key(), t, t);
        context.forward(record);
      }
    }
  }
}
