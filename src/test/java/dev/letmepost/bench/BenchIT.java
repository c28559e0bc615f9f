package dev.letmepost.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.cli.Lmp;
import dev.letmepost.wire.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke test of {@code lmp bench --quick} as CI runs it (its own embedded broker): every phase
 * is in the JSON report and the table, each with positive figures. Not a timed test: it asserts
 * that the benchmark measures, not what it measures.
 */
class BenchIT {
  private static final List<String> THROUGHPUT =
      List.of("passthrough", "dedup", "first-seen", "replay", "conflict", "waiters");
  private static final List<String> HTTP =
      List.of(
          "http-first-sandbox", "http-replay-sandbox", "http-first-instant", "http-replay-instant");

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void quickRunReportsEveryPhaseWithPositiveFigures(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("bench.json");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Lmp.commandLine()
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute("bench", "--quick", "--out", json.toString());

    assertThat(code).as("exit code; stderr:\n" + err).isZero();
    JsonNode report = Json.MAPPER.readTree(Files.readAllBytes(json));

    assertThat(names(report.path("throughput"))).containsExactlyElementsOf(THROUGHPUT);
    for (JsonNode phase : report.path("throughput")) {
      String name = phase.path("name").asText();
      assertThat(phase.path("records").asLong()).as(name + " records").isPositive();
      assertThat(phase.path("recordsPerSecond").asDouble()).as(name + " records/s").isPositive();
      assertThat(phase.path("ratioToPassthrough").asDouble()).as(name + " ratio").isPositive();
      assertThat(phase.path("ratioToDedup").asDouble()).as(name + " ratio").isPositive();
      assertThat(
              phase
                  .path("writtenPerRecord")
                  .path(name.equals("passthrough") || name.equals("dedup") ? "output" : "results")
                  .asDouble())
          .as(name + " records written per command")
          .isPositive();
    }
    assertThat(
            report
                .path("throughput")
                .get(2)
                .path("writtenPerRecord")
                .path("publish tasks")
                .asDouble())
        .as("first-seen: three tasks per batch, plus markers")
        .isGreaterThanOrEqualTo(3.0);
    assertThat(
            report
                .path("throughput")
                .get(3)
                .path("writtenPerRecord")
                .path("repartition")
                .asDouble())
        .as(
            "replay: commands keyed by their fingerprint, as the gateway keys them, are decided"
                + " without the by-fingerprint repartition")
        .isZero();

    assertThat(names(report.path("http"))).containsExactlyElementsOf(HTTP);
    for (JsonNode phase : report.path("http")) {
      String name = phase.path("name").asText();
      JsonNode latency = phase.path("latency");
      assertThat(latency.path("samples").asInt()).as(name + " samples").isPositive();
      assertThat(latency.path("p50Ms").asDouble()).as(name + " p50").isPositive();
      assertThat(latency.path("p99Ms").asDouble()).as(name + " p99").isPositive();
      assertThat(latency.path("p999Ms").asDouble()).as(name + " p99.9").isPositive();
    }

    JsonNode storage = report.path("storage");
    assertThat(storage.path("recordedBatches").asLong()).isPositive();
    assertThat(storage.path("stateDirBytesPerBatch").asDouble()).isPositive();
    assertThat(storage.path("changelogBytesPerBatch").asDouble()).isPositive();
    assertThat(storage.path("stateDirByStore").path("replay-records").asLong()).isPositive();
    assertThat(storage.path("changelogByStore").path("replay-records").asLong()).isPositive();
    assertThat(report.path("heap").path("afterGcBytes").asLong()).isPositive();

    String table = out.toString();
    for (String phase : THROUGHPUT) {
      assertThat(table).contains("| " + phase + " |");
    }
    for (String phase : HTTP) {
      assertThat(table).contains("| " + phase + " |");
    }
    assertThat(table).contains("per recorded batch").contains("heap after GC");
  }

  private static List<String> names(JsonNode phases) {
    List<String> names = new ArrayList<>();
    phases.forEach(p -> names.add(p.path("name").asText()));
    return names;
  }
}
