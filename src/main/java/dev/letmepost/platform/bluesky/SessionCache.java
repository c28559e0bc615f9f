package dev.letmepost.platform.bluesky;

import dev.letmepost.publish.CallResult;
import java.net.URI;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * Bluesky sessions cached per account id (and endpoint). Opening one is serialized per account, so
 * that concurrent tasks of one account make one createSession between them.
 */
final class SessionCache {
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

  private final ConcurrentMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Object> locks = new ConcurrentHashMap<>();

  /**
   * The cached session of {@code accountId} at {@code endpoint} unless it is {@code stale}; else
   * the one {@code open} opens, which is cached when it opened one (a failure drops the cached
   * one).
   */
  Opened session(String accountId, URI endpoint, Session stale, Supplier<Opened> open) {
    synchronized (locks.computeIfAbsent(accountId, id -> new Object())) {
      Session cached = sessions.get(accountId);
      if (cached != null && cached != stale && cached.endpoint().equals(endpoint)) {
        return new Opened(cached, false, null);
      }
      sessions.remove(accountId);
      Opened opened = open.get();
      if (opened.session() != null) {
        sessions.put(accountId, opened.session());
      }
      return opened;
    }
  }
}
