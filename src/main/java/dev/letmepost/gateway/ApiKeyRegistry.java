package dev.letmepost.gateway;

import dev.letmepost.wire.Json;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's view of {@code lmp.api-keys}: key hash to {@link ApiKeyRecord}, kept up to date by
 * an {@link ApiKeyFollower}. It resolves a bearer secret to the principal of an active key; the
 * secret itself is hashed at once and never kept.
 */
public final class ApiKeyRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ApiKeyRegistry.class);
  private final Map<String, ApiKeyRecord> byHash = new ConcurrentHashMap<>();

  /**
   * Applies one record of the compacted topic: null deletes; a malformed value is logged and
   * skipped, the key's previous value stays.
   */
  public void apply(String hash, byte[] value) {
    if (hash == null) {
      LOG.warn("ignoring api-keys record without key");
      return;
    }
    if (value == null) {
      byHash.remove(hash);
      return;
    }
    try {
      byHash.put(hash, Json.read(value, ApiKeyRecord.class));
    } catch (SerializationException e) {
      LOG.warn("ignoring api-keys record '{}': {}", hash, e.getMessage());
    }
  }

  public void put(String hash, ApiKeyRecord record) {
    byHash.put(hash, record);
  }

  /** The principal of {@code secret} when it is a known, active key. */
  public Optional<String> principalFor(String secret) {
    return activeFor(secret).map(ApiKeyRecord::principal);
  }

  /** The record of {@code secret} when it is a known, active key. */
  public Optional<ApiKeyRecord> activeFor(String secret) {
    ApiKeyRecord r = byHash.get(ApiKeys.hash(secret));
    return r != null && r.status() == ApiKeyRecord.Status.active
        ? Optional.of(r)
        : Optional.empty();
  }

  /** The record of a key hash, active or revoked. */
  public Optional<ApiKeyRecord> find(String hash) {
    return Optional.ofNullable(byHash.get(hash));
  }
}
