package dev.letmepost.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parts a service started: closed last first, each one even when another fails. */
class CloserTest {

  /** The part started last stops first; a failing close does not keep the others open. */
  @Test
  void closesLastStartedFirstPastAFailure() {
    List<String> closed = new ArrayList<>();
    Closer closer = new Closer();
    closer.add(() -> closed.add("client"));
    closer.add(
        () -> {
          closed.add("follower");
          throw new IllegalStateException("broker gone");
        });
    closer.add(() -> closed.add("server"));

    closer.close();
    closer.close();

    assertThat(closed).containsExactly("server", "follower", "client");
  }

  /** The parts of one type, in the order they started. */
  @Test
  void findsThePartsOfAType() {
    Closer closer = new Closer();
    Named first = closer.add(new Named("first"));
    closer.add(() -> {});
    Named second = closer.add(new Named("second"));

    assertThat(closer.partsOf(Named.class)).containsExactly(first, second);
    assertThat(closer.partsOf(String.class)).isEmpty();
  }

  private record Named(String name) implements AutoCloseable {
    @Override
    public void close() {}
  }
}
