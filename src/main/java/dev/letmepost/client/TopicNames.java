package dev.letmepost.client;

import java.util.Objects;

/**
 * The topics a producer and a consumer of the ledger use (docs/contract.md#topics): commands in,
 * answers and lifecycle events out. The server names them {@code <prefix>post-commands}, {@code
 * <prefix>post-results} and {@code <prefix>post-events}, the prefix {@code lmp.} unless {@code
 * --topic-prefix} says otherwise.
 */
public record TopicNames(String commands, String results, String events) {
  /** The default prefix's topics: {@code lmp.post-commands}, {@code lmp.post-results}, ... */
  public static final TopicNames DEFAULT = withPrefix("lmp.");

  public TopicNames {
    Objects.requireNonNull(commands, "commands");
    Objects.requireNonNull(results, "results");
    Objects.requireNonNull(events, "events");
  }

  /** The topics of a server started with {@code --topic-prefix prefix}. */
  public static TopicNames withPrefix(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    return new TopicNames(
        prefix + "post-commands", prefix + "post-results", prefix + "post-events");
  }
}
