package dev.letmepost.bench;

import dev.letmepost.wire.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What one {@code lmp bench} run measured: the throughput phases with their ratios to the two
 * baselines and the records they wrote, the HTTP latencies, the bytes per recorded batch and the
 * heap. Rendered as a text table and written as JSON.
 */
public record Report(
    Map<String, Object> settings,
    List<Throughput> throughput,
    List<Latency> http,
    Storage storage,
    Heap heap) {

  /** The pass-through baseline's phase name. */
  public static final String PASSTHROUGH = "passthrough";

  /** The hand-written dedup baseline's phase name. */
  public static final String DEDUP = "dedup";

  public Report {
    settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
    throughput = List.copyOf(throughput);
    http = List.copyOf(http);
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(heap, "heap");
  }

  /**
   * One throughput phase: {@code records} input records (commands) answered in {@code seconds},
   * warm-up excluded.
   *
   * @param writtenPerRecord Kafka records written per input record, by kind of topic
   */
  public record Throughput(
      String name,
      String what,
      long records,
      double seconds,
      double recordsPerSecond,
      Double ratioToPassthrough,
      Double ratioToDedup,
      Map<String, Double> writtenPerRecord) {
    public Throughput {
      writtenPerRecord = Map.copyOf(writtenPerRecord);
    }

    /** A phase measured: {@code records} in {@code seconds}, ratios not yet known. */
    public static Throughput measured(
        String name, String what, long records, double seconds, Map<String, Double> written) {
      if (records <= 0 || !(seconds > 0)) {
        throw new IllegalArgumentException(
            "phase " + name + " measured " + records + " records in " + seconds + " s");
      }
      return new Throughput(name, what, records, seconds, records / seconds, null, null, written);
    }
  }

  /** One HTTP latency phase: closed-loop calls, warm-up excluded. */
  public record Latency(
      String name, String what, long errors, double callsPerSecond, Percentiles latency) {}

  /**
   * Bytes per recorded batch, after the ledger closed (its stores flushed).
   *
   * @param stateDirByStore bytes of the state directory by store (RocksDB files included)
   * @param changelogByStore bytes of each store's changelog topic on the brokers' log dirs
   */
  public record Storage(
      long recordedBatches,
      long stateDirBytes,
      double stateDirBytesPerBatch,
      Map<String, Long> stateDirByStore,
      long changelogBytes,
      double changelogBytesPerBatch,
      Map<String, Long> changelogByStore) {
    public Storage {
      stateDirByStore = Map.copyOf(stateDirByStore);
      changelogByStore = Map.copyOf(changelogByStore);
    }

    public static Storage of(
        long recordedBatches, Map<String, Long> stateDirByStore, Map<String, Long> changelogs) {
      if (recordedBatches <= 0) {
        throw new IllegalArgumentException("no batch recorded, got " + recordedBatches);
      }
      long state = stateDirByStore.values().stream().mapToLong(Long::longValue).sum();
      long logs = changelogs.values().stream().mapToLong(Long::longValue).sum();
      return new Storage(
          recordedBatches,
          state,
          state / (double) recordedBatches,
          stateDirByStore,
          logs,
          logs / (double) recordedBatches,
          changelogs);
    }
  }

  /** Heap used after a full GC with everything running, and the JVM's maximum heap. */
  public record Heap(long afterGcBytes, long maxBytes) {}

  /** The throughput phases with each one's ratio to the pass-through and to the dedup baseline. */
  static List<Throughput> withRatios(List<Throughput> phases) {
    double passthrough = rate(phases, PASSTHROUGH);
    double dedup = rate(phases, DEDUP);
    List<Throughput> out = new ArrayList<>();
    for (Throughput t : phases) {
      out.add(
          new Throughput(
              t.name(),
              t.what(),
              t.records(),
              t.seconds(),
              t.recordsPerSecond(),
              t.recordsPerSecond() / passthrough,
              t.recordsPerSecond() / dedup,
              t.writtenPerRecord()));
    }
    return out;
  }

  private static double rate(List<Throughput> phases, String name) {
    return phases.stream()
        .filter(t -> t.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no " + name + " baseline phase"))
        .recordsPerSecond();
  }

  public byte[] json() {
    return Json.write(this);
  }

  /** The report as text tables, for the terminal and docs/benchmarks.md. */
  public String table() {
    StringBuilder b = new StringBuilder();
    b.append(
        "| phase | records | s | records/s | × pass-through | × dedup | Kafka records written per"
            + " input record |\n");
    b.append("|---|---:|---:|---:|---:|---:|---|\n");
    for (Throughput t : throughput) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.1f | %.0f | %s | %s | %s |%n",
              t.name(),
              t.records(),
              t.seconds(),
              t.recordsPerSecond(),
              ratio(t.ratioToPassthrough()),
              ratio(t.ratioToDedup()),
              written(t.writtenPerRecord())));
    }
    b.append("\n| HTTP phase | calls | errors | calls/s | p50 ms | p99 ms | p99.9 ms | max ms |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Latency l : http) {
      Percentiles p = l.latency();
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
              l.name(),
              p.samples(),
              l.errors(),
              l.callsPerSecond(),
              p.p50Ms(),
              p.p99Ms(),
              p.p999Ms(),
              p.maxMs()));
    }
    b.append(
        String.format(
            Locale.ROOT,
            "%nper recorded batch (%d batches, ledger closed): state directory %.0f B (%s),"
                + " changelogs %.0f B (%s)%n",
            storage.recordedBatches(),
            storage.stateDirBytesPerBatch(),
            perBatch(storage.stateDirByStore(), storage.recordedBatches()),
            storage.changelogBytesPerBatch(),
            perBatch(storage.changelogByStore(), storage.recordedBatches())));
    b.append(
        String.format(
            Locale.ROOT,
            "heap after GC: %.0f MiB of %.0f MiB max%n",
            heap.afterGcBytes() / 1048576.0,
            heap.maxBytes() / 1048576.0));
    return b.toString();
  }

  private static String ratio(Double r) {
    return r == null ? "" : String.format(Locale.ROOT, "%.2f", r);
  }

  private static String written(Map<String, Double> w) {
    return w.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue()))
        .collect(Collectors.joining(", "));
  }

  private static String perBatch(Map<String, Long> bytes, long batches) {
    return bytes.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(
            e -> String.format(Locale.ROOT, "%s %.0f", e.getKey(), e.getValue() / (double) batches))
        .collect(Collectors.joining(", "));
  }
}
