package dev.letmepost.ledger;

import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global accounts store: each account under its id, and again under an index key {@code
 * \0principal\0platform\0accountId} so that a principal's default account on a platform is one
 * prefix scan away. Runs on restore too, so the index is rebuilt from the topic.
 *
 * <p>It reads raw bytes and parses them itself: a malformed account is logged and skipped (the
 * previous value, if any, stays). Letting the source deserializer fail instead would hand the
 * record to Kafka Streams' dead-letter handling, which in 4.4 fails on the global thread with a
 * ClassCastException and stops the whole application (see DeadLetterIT).
 */
final class IndexAccounts implements Processor<String, byte[], Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(IndexAccounts.class);
  private KeyValueStore<String, Account> store;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(LedgerTopology.ACCOUNTS_STORE);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String id = record.key();
    if (id == null || id.isEmpty() || id.charAt(0) == '\0') {
      LOG.warn("ignoring accounts record with unusable key '{}'", id);
      return;
    }
    Account account;
    try {
      account = record.value() == null ? null : Json.read(record.value(), Account.class);
    } catch (SerializationException e) {
      LOG.warn("ignoring accounts record '{}': {}", id, e.getMessage());
      return;
    }
    if (account != null && !id.equals(account.accountId())) {
      LOG.warn(
          "ignoring accounts record keyed '{}' whose accountId is '{}'", id, account.accountId());
      return;
    }
    Account previous = store.get(id);
    if (previous != null) {
      store.delete(AccountDirectory.indexKey(previous));
    }
    if (account == null) {
      store.delete(id);
    } else {
      store.put(id, account);
      store.put(AccountDirectory.indexKey(account), account);
    }
  }
}
