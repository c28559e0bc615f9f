package dev.letmepost.wire;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where the cluster is and how to reach it: the bootstrap servers and the operator's further Kafka
 * client settings (security.protocol, ssl.*, sasl.*, client.dns.lookup, ...), given to every Kafka
 * client the product builds. Immutable; {@link #config(Map)} returns a fresh map per client.
 *
 * <p>The values may be secrets (passwords, JAAS configs): {@link #toString()} names the keys only.
 */
public final class ClientSettings {
  /*
   * The product sets these itself and its guarantees depend on them: where the cluster is
   * (--bootstrap-servers), how records are encoded, what a reader sees (read_committed), the
   * transactional, idempotent producers with acks=all, the consumer groups and their offsets, and
   * the ledger's Streams identity. They are refused, also behind a Streams client prefix
   * (consumer.isolation.level reaches the Streams consumers), rather than silently ignored.
   */
  /** The settings that cannot be given this way. */
  public static final Set<String> REFUSED =
      Set.of(
          "bootstrap.servers",
          "key.serializer",
          "value.serializer",
          "key.deserializer",
          "value.deserializer",
          "isolation.level",
          "transactional.id",
          "enable.idempotence",
          "acks",
          "group.id",
          "group.instance.id",
          "enable.auto.commit",
          "auto.offset.reset",
          "application.id",
          "processing.guarantee",
          "default.key.serde",
          "default.value.serde");

  /** The prefixes Kafka Streams passes on to one kind of its clients. */
  private static final List<String> STREAMS_PREFIXES =
      List.of(
          "main.consumer.",
          "restore.consumer.",
          "global.consumer.",
          "consumer.",
          "producer.",
          "admin.");

  private final String bootstrapServers;
  private final Map<String, String> properties;

  private ClientSettings(String bootstrapServers, Map<String, String> properties) {
    this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    if (bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrap servers must not be blank");
    }
    this.properties = properties;
  }

  /** The cluster at {@code bootstrapServers}, no further settings. */
  public static ClientSettings of(String bootstrapServers) {
    return new ClientSettings(bootstrapServers, Map.of());
  }

  /**
   * The cluster at {@code bootstrapServers} with {@code properties}.
   *
   * @throws IllegalArgumentException naming the key when one of them is {@link #REFUSED}
   */
  public static ClientSettings of(String bootstrapServers, Map<String, String> properties) {
    return new ClientSettings(bootstrapServers, checked(properties));
  }

  /**
   * Checks {@code properties} and returns an immutable, sorted copy.
   *
   * @throws IllegalArgumentException naming the key when one of them is {@link #REFUSED}
   */
  public static Map<String, String> checked(Map<String, String> properties) {
    Map<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : properties.entrySet()) {
      String key = Objects.requireNonNull(e.getKey(), "key").strip();
      if (key.isEmpty()) {
        throw new IllegalArgumentException("a Kafka client setting has an empty key");
      }
      String bare = unprefixed(key);
      if (REFUSED.contains(bare)) {
        throw new IllegalArgumentException(
            "Kafka client setting "
                + key
                + " cannot be given: the product sets "
                + bare
                + " itself"
                + (bare.equals("bootstrap.servers") ? " (use --bootstrap-servers)" : ""));
      }
      copy.put(key, Objects.requireNonNull(e.getValue(), "value of " + key));
    }
    return java.util.Collections.unmodifiableMap(copy);
  }

  /**
   * Reads a Java properties file of Kafka client settings.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read
   */
  public static Map<String, String> load(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot read Kafka client settings " + file + ": " + e, e);
    }
    Map<String, String> m = new TreeMap<>();
    for (String name : p.stringPropertyNames()) {
      m.put(name, p.getProperty(name));
    }
    return m;
  }

  private static String unprefixed(String key) {
    for (String prefix : STREAMS_PREFIXES) {
      if (key.startsWith(prefix)) {
        return key.substring(prefix.length());
      }
    }
    return key;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The operator's settings (no bootstrap servers), immutable. */
  public Map<String, String> properties() {
    return properties;
  }

  /** The same settings against another cluster (the embedded broker's address, say). */
  public ClientSettings withBootstrapServers(String servers) {
    return new ClientSettings(servers, properties);
  }

  /**
   * A fresh, mutable client configuration: {@code product}'s settings, then the operator's (which
   * never include a {@link #REFUSED} key, so they only tune what the product merely defaults), then
   * the bootstrap servers.
   */
  public Map<String, Object> config(Map<String, ?> product) {
    Map<String, Object> c = new HashMap<>(product);
    c.putAll(properties);
    c.put("bootstrap.servers", bootstrapServers);
    return c;
  }

  /** A fresh, mutable configuration of a client with no product settings (an admin client). */
  public Map<String, Object> config() {
    return config(Map.of());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClientSettings c
        && c.bootstrapServers.equals(bootstrapServers)
        && c.properties.equals(properties);
  }

  @Override
  public int hashCode() {
    return Objects.hash(bootstrapServers, properties);
  }

  /** The bootstrap servers and the names of the further settings; never their values. */
  @Override
  public String toString() {
    return "ClientSettings[" + bootstrapServers + ", settings " + properties.keySet() + "]";
  }
}
