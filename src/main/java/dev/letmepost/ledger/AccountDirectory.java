package dev.letmepost.ledger;

import dev.letmepost.wire.Account;
import dev.letmepost.wire.Platform;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** Account look-ups over the global accounts store, scoped to one principal. */
final class AccountDirectory {
  private static final StringSerializer KEYS = new StringSerializer();
  private final ReadOnlyKeyValueStore<String, Account> store;

  AccountDirectory(ReadOnlyKeyValueStore<String, Account> store) {
    this.store = store;
  }

  static String indexKey(Account a) {
    return prefix(a.principal(), a.platform()) + a.accountId();
  }

  private static String prefix(String principal, String platform) {
    return "\0" + principal + "\0" + platform + "\0";
  }

  /** The principal's account with that id; another principal's account is not found. */
  Account owned(String principal, String accountId) {
    Account a = store.get(accountId);
    return a != null && a.principal().equals(principal) ? a : null;
  }

  /** The account flagged default, else the one with the smallest id; null when there is none. */
  Account defaultAccount(String principal, Platform platform) {
    Account first = null;
    try (KeyValueIterator<String, Account> it =
        store.prefixScan(prefix(principal, platform.wireName()), KEYS)) {
      while (it.hasNext()) {
        Account a = it.next().value;
        if (a.isDefault()) {
          return a;
        }
        if (first == null) {
          first = a;
        }
      }
    }
    return first;
  }
}
