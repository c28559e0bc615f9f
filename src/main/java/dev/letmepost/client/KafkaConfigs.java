package dev.letmepost.client;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The configurations of the client's Kafka producer and consumers: the user's settings (where the
 * cluster is, security, tuning) with the settings the client's guarantees depend on put over them.
 * A user's setting that contradicts one of those is refused, naming it, rather than ignored.
 */
final class KafkaConfigs {
  /**
   * The producer's {@code max.request.size} unless the user sets one: 1 MiB, the size the ledger's
   * limits are worked out against (a command of the largest accepted body and its headers fits).
   */
  static final int MAX_REQUEST_SIZE = 1024 * 1024;

  private KafkaConfigs() {}

  /**
   * A command producer's: idempotent, {@code acks=all}; by default no linger and {@link
   * #MAX_REQUEST_SIZE}.
   */
  static Map<String, Object> producer(Map<String, ?> user) {
    Map<String, Object> c = new HashMap<>();
    c.put("linger.ms", 0);
    c.put("max.request.size", MAX_REQUEST_SIZE);
    c.putAll(checked(user));
    require(c, user, "enable.idempotence", true);
    require(c, user, "acks", "all");
    return c;
  }

  /**
   * A direct reader's: {@code read_committed} (never an aborted or still-open transaction's
   * records), outside any group, committing nothing.
   */
  static Map<String, Object> reader(Map<String, ?> user) {
    Map<String, Object> c = new HashMap<>(checked(user));
    require(c, user, "isolation.level", "read_committed");
    require(c, user, "enable.auto.commit", false);
    if (user.containsKey("group.id")) {
      throw new IllegalArgumentException(
          "Kafka setting group.id cannot be given: the client's readers are assigned every"
              + " partition and belong to no group");
    }
    return c;
  }

  private static Map<String, ?> checked(Map<String, ?> user) {
    Objects.requireNonNull(user, "kafka settings");
    if (!user.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException("the Kafka settings need bootstrap.servers");
    }
    for (String key :
        new String[] {
          "key.serializer", "value.serializer", "key.deserializer", "value.deserializer"
        }) {
      if (user.containsKey(key)) {
        throw new IllegalArgumentException(
            "Kafka setting " + key + " cannot be given: the client sets its own");
      }
    }
    return user;
  }

  private static void require(
      Map<String, Object> c, Map<String, ?> user, String key, Object value) {
    Object given = user.get(key);
    if (given != null && !String.valueOf(given).equalsIgnoreCase(String.valueOf(value))) {
      throw new IllegalArgumentException(
          "Kafka setting "
              + key
              + "="
              + given
              + " cannot be given: the client's guarantees need "
              + key
              + "="
              + value);
    }
    c.put(key, value);
  }
}
