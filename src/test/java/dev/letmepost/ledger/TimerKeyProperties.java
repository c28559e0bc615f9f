package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.Positive;
import net.jqwik.api.constraints.StringLength;

/**
 * The timer-index keys are built by hand (no {@link String#format} per batch); they must stay the
 * keys the format {@code %c|%016x|%016x|%s} gave, which stores written before hold.
 */
class TimerKeyProperties {
  @Property
  void aTimerKeyIsTheFormattedKeyForEveryTimeEvenNegative(
      @ForAll long due,
      @ForAll long windowTime,
      @ForAll @AlphaChars @NumericChars @StringLength(max = 70) String fingerprint) {
    for (char kind : new char[] {Batches.RELEASE, Batches.DEADLINE}) {
      assertThat(Batches.timerKey(kind, due, windowTime, fingerprint))
          .isEqualTo(String.format("%c|%016x|%016x|%s", kind, due, windowTime, fingerprint));
      assertThat(Batches.lastKeyDueBy(kind, due)).isEqualTo(String.format("%c|%016x|~", kind, due));
    }
    assertThat(Batches.fingerprintOf(Batches.timerKey('d', due, windowTime, fingerprint)))
        .isEqualTo(fingerprint);
  }

  @Property
  void timerKeysSortByDueTimeAndFallUnderTheBoundOfTheirDueTime(
      @ForAll @Positive long a, @ForAll @Positive long b, @ForAll long windowTime) {
    String ka = Batches.timerKey('d', a, windowTime, "f");
    String kb = Batches.timerKey('d', b, windowTime, "f");
    assertThat(Long.signum(ka.compareTo(kb))).isEqualTo(Long.signum(Long.compare(a, b)));
    assertThat(ka.compareTo(Batches.lastKeyDueBy('d', a))).isNegative();
    assertThat(ka.compareTo(Batches.firstKey('d'))).isPositive();
  }
}
