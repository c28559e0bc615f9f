package dev.letmepost.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PercentilesTest {

  @Test
  void nearestRankOfAThousandSamplesInAnyOrder() {
    // 1..1000 ms, shuffled by a stride: p50 is the 500th, p99 the 990th, p99.9 the 999th.
    long[] nanos =
        LongStream.range(0, 1000).map(i -> ((i * 7919) % 1000 + 1) * 1_000_000).toArray();

    Percentiles p = Percentiles.ofNanos(nanos);

    assertThat(p.samples()).isEqualTo(1000);
    assertThat(p.p50Ms()).isEqualTo(500.0);
    assertThat(p.p99Ms()).isEqualTo(990.0);
    assertThat(p.p999Ms()).isEqualTo(999.0);
    assertThat(p.maxMs()).isEqualTo(1000.0);
  }

  @Test
  void fewSamplesReportMeasuredValuesNeverInterpolated() {
    Percentiles p = Percentiles.ofNanos(new long[] {3_000_000, 1_000_000, 2_000_000});

    assertThat(p.p50Ms()).isEqualTo(2.0);
    assertThat(p.p99Ms()).isEqualTo(3.0);
    assertThat(p.p999Ms()).isEqualTo(3.0);
  }

  @Test
  void doesNotSortTheCallersArray() {
    long[] nanos = {5, 1, 3};
    Percentiles.ofNanos(nanos);
    assertThat(nanos).containsExactly(5, 1, 3);
  }

  @Test
  void noSamplesIsAnErrorNotAZero() {
    assertThatThrownBy(() -> Percentiles.ofNanos(new long[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no latency samples");
  }

  @Test
  void aQuantileOutsideZeroToOneIsRefusedByValue() {
    assertThatThrownBy(() -> Percentiles.rank(new long[] {1}, 1.5)).hasMessageContaining("1.5");
  }
}
