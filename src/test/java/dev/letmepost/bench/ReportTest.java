package dev.letmepost.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.wire.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {

  private static Report.Throughput phase(String name, long records, double seconds) {
    return Report.Throughput.measured(
        name, name + " phase", records, seconds, Map.of("results", 1.0));
  }

  private static Report report() {
    return new Report(
        Map.of("targets", 3),
        Report.withRatios(
            List.of(
                phase(Report.PASSTHROUGH, 40_000, 1.0),
                phase(Report.DEDUP, 20_000, 1.0),
                phase("first-seen", 10_000, 2.0))),
        List.of(
            new Report.Latency(
                "http-replay-instant",
                "replays",
                2,
                100.0,
                Percentiles.ofNanos(new long[] {1_000_000, 2_000_000, 4_000_000}))),
        Report.Storage.of(
            1000,
            Map.of("replay-records", 2_000_000L, "request-index", 500_000L),
            Map.of("replay-records", 3_000_000L)),
        new Report.Heap(100L << 20, 512L << 20));
  }

  @Test
  void ratiosAreToThePassThroughAndToTheDedup() {
    Report.Throughput first = report().throughput().get(2);

    assertThat(first.recordsPerSecond()).isEqualTo(5_000.0);
    assertThat(first.ratioToPassthrough()).isCloseTo(0.125, within(1e-9));
    assertThat(first.ratioToDedup()).isCloseTo(0.25, within(1e-9));
    assertThat(report().throughput().get(0).ratioToPassthrough()).isEqualTo(1.0);
  }

  @Test
  void ratiosNeedBothBaselines() {
    assertThatThrownBy(() -> Report.withRatios(List.of(phase(Report.PASSTHROUGH, 1, 1.0))))
        .hasMessageContaining("no dedup baseline");
  }

  @Test
  void aPhaseThatMeasuredNothingIsRefused() {
    assertThatThrownBy(() -> phase("replay", 0, 1.0)).hasMessageContaining("phase replay");
    assertThatThrownBy(() -> phase("replay", 10, 0.0)).hasMessageContaining("phase replay");
  }

  @Test
  void bytesPerBatchAreTheTotalsOverTheRecordedBatches() {
    Report.Storage s = report().storage();

    assertThat(s.stateDirBytes()).isEqualTo(2_500_000L);
    assertThat(s.stateDirBytesPerBatch()).isEqualTo(2_500.0);
    assertThat(s.changelogBytesPerBatch()).isEqualTo(3_000.0);
  }

  @Test
  void tableShowsEveryPhaseWithRatiosLatenciesAndBytes() {
    String table = report().table();

    assertThat(table)
        .contains("| passthrough | 40000 | 1.0 | 40000 | 1.00 | 2.00 | results 1.00 |")
        .contains("| first-seen | 10000 | 2.0 | 5000 | 0.13 | 0.25 | results 1.00 |")
        .contains("| http-replay-instant | 3 | 2 | 100.0 | 2.0 | 4.0 | 4.0 | 4.0 |")
        .contains("state directory 2500 B (replay-records 2000, request-index 500)")
        .contains("changelogs 3000 B (replay-records 3000)")
        .contains("heap after GC: 100 MiB of 512 MiB max");
  }

  @Test
  void jsonCarriesEveryFigure() throws Exception {
    JsonNode json = Json.MAPPER.readTree(report().json());

    assertThat(json.path("throughput")).hasSize(3);
    assertThat(json.path("throughput").get(2).path("ratioToDedup").asDouble()).isEqualTo(0.25);
    assertThat(json.path("http").get(0).path("latency").path("p99Ms").asDouble()).isEqualTo(4.0);
    assertThat(json.path("storage").path("stateDirBytesPerBatch").asDouble()).isEqualTo(2500.0);
    assertThat(json.path("heap").path("afterGcBytes").asLong()).isEqualTo(100L << 20);
    assertThat(json.path("settings").path("targets").asInt()).isEqualTo(3);
  }
}
