package dev.letmepost.wire;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts a service has started (clients, followers, servers), closed in reverse order: what
 * started last, and may use what started before it, stops first. A part that fails to close is
 * logged and the next one is closed all the same.
 */
public final class Closer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Closer.class);

  private final List<AutoCloseable> parts = new ArrayList<>();

  /** Adds {@code part}, started: it is closed before every part added earlier. */
  public <T extends AutoCloseable> T add(T part) {
    parts.add(part);
    return part;
  }

  /** The parts of type {@code type}, in the order they were added. */
  public <T> List<T> partsOf(Class<T> type) {
    return parts.stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** Closes every part, the last added first, and forgets them. */
  @Override
  public void close() {
    for (int i = parts.size() - 1; i >= 0; i--) {
      try {
        parts.get(i).close();
      } catch (Exception e) {
        LOG.warn("error while stopping {}: {}", parts.get(i), e.toString());
      }
    }
    parts.clear();
  }
}
