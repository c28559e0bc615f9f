package dev.letmepost.platform.bluesky;

import dev.letmepost.publish.CallResult;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Bluesky sessions cached per account identity: account id, principal, handle, endpoint and a
 * digest of the app password. Opening one is serialized per identity (by lock striping), so that
 * concurrent tasks of one account make one createSession between them.
 */
final class SessionCache {
  /*
   * Why the whole identity. An account id can be reassigned to another principal, or keep its id
   * while its handle, PDS or app password changes (the accounts topic is compacted: the new value
   * replaces the old). A session cached by account id alone would keep posting into the previous
   * repository until its token expired. Keyed by the identity, a changed account misses the cache
   * and opens a session with what it now holds; the entries of the same account id under an older
   * identity are dropped then, so no stale token outlives the change in memory. The app password
   * enters the key only as its SHA-256, never itself.
   *
   * Bounds. At most MAX_SESSIONS sessions, least recently used evicted first (an evicted account
   * opens a new session on its next call, which is correct, only slower). Locks are LOCK_STRIPES
   * fixed objects: two identities on one stripe wait for each other's createSession (bounded by the
   * whole-call deadline), a per-identity lock map would grow with every account ever seen.
   */

  /** The most sessions held; past it the least recently used one is dropped. */
  static final int MAX_SESSIONS = 10_000;

  private static final int LOCK_STRIPES = 256;

  /** A session's tokens; its toString shows only the DID. */
  record Session(URI endpoint, String did, String handle, String accessJwt, String refreshJwt) {
    @Override
    public String toString() {
      return "Session[" + did + " at " + endpoint + "]";
    }
  }

  /** A session, and whether this call opened it; or why none could be opened. */
  record Opened(Session session, boolean fresh, CallResult failure) {
    static Opened failed(CallResult failure) {
      return new Opened(null, false, failure);
    }
  }

  /**
   * Everything a session was opened with: a session is reused only for the same identity. Its
   * toString leaves the digest out.
   */
  record Identity(
      String accountId, String principal, String handle, URI endpoint, String secretDigest) {
    static Identity of(
        String accountId, String principal, String handle, URI endpoint, String secret) {
      return new Identity(accountId, principal, handle, endpoint, sha256(secret));
    }

    @Override
    public String toString() {
      return "Identity[" + accountId + " of " + principal + ", " + handle + " at " + endpoint + "]";
    }
  }

  private final int maxSessions;
  private final Object[] locks = new Object[LOCK_STRIPES];

  /** Guarded by itself; in access order, for least-recently-used eviction. */
  private final LinkedHashMap<Identity, Session> sessions;

  SessionCache() {
    this(MAX_SESSIONS);
  }

  SessionCache(int maxSessions) {
    if (maxSessions < 1) {
      throw new IllegalArgumentException("maxSessions must be positive, got " + maxSessions);
    }
    this.maxSessions = maxSessions;
    this.sessions =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<Identity, Session> eldest) {
            return size() > SessionCache.this.maxSessions;
          }
        };
    for (int i = 0; i < locks.length; i++) {
      locks[i] = new Object();
    }
  }

  /**
   * The cached session of {@code identity} unless it is {@code stale}; else the one {@code open}
   * opens, which is cached when it opened one (a failure drops the cached one).
   */
  Opened session(Identity identity, Session stale, Supplier<Opened> open) {
    synchronized (locks[Math.floorMod(identity.hashCode(), LOCK_STRIPES)]) {
      synchronized (sessions) {
        Session cached = sessions.get(identity);
        if (cached != null && cached != stale) {
          return new Opened(cached, false, null);
        }
        sessions.remove(identity);
      }
      Opened opened = open.get();
      if (opened.session() != null) {
        synchronized (sessions) {
          Iterator<Identity> it = sessions.keySet().iterator();
          while (it.hasNext()) {
            if (it.next().accountId().equals(identity.accountId())) {
              it.remove();
            }
          }
          sessions.put(identity, opened.session());
        }
      }
      return opened;
    }
  }

  /** How many sessions are held (for tests). */
  int size() {
    synchronized (sessions) {
      return sessions.size();
    }
  }

  private static String sha256(String secret) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
