package dev.letmepost.wire;

import java.util.function.BooleanSupplier;

/**
 * The life of a background reader, {@link dev.letmepost.client.ReaderLoop} (its home, with its
 * {@code Sleeper} and {@code Session}), under the name the server's readers (a topic follower, the
 * gateway's results consumer, the publishers' account book) import, restarting on a {@link Backoff}
 * (not jittered).
 */
public final class ReaderLoop extends dev.letmepost.client.ReaderLoop {
  /**
   * @param name how {@code /readyz} and the log name the reader
   * @param running false once the reader is being closed: a session that ends then is not restarted
   */
  public ReaderLoop(String name, Backoff backoff, Sleeper sleeper, BooleanSupplier running) {
    super(name, backoff::delay, sleeper, running);
  }
}
