package dev.letmepost.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A clock that stands still until a test moves it; listeners hear of every move. */
public final class MutableClock extends Clock {
  private volatile Instant now;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  public MutableClock(Instant start) {
    this.now = start;
  }

  public void advance(Duration by) {
    now = now.plus(by);
    moved();
  }

  public void set(Instant to) {
    now = to;
    moved();
  }

  /** Runs {@code listener} after every {@link #advance} and {@link #set}, on the mover's thread. */
  public void onMove(Runnable listener) {
    listeners.add(listener);
  }

  private void moved() {
    listeners.forEach(Runnable::run);
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a test clock has one zone, UTC");
  }
}
