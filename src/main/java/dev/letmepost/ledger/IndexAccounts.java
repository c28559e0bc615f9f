package dev.letmepost.ledger;

import dev.letmepost.wire.Account;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global accounts store: each account under its id, and again under an index key
 * {@code \0principal\0platform\0accountId} so that a principal's default account on a platform
 * is one prefix scan away. Runs on restore too, so the index is rebuilt from the topic.
 */
final class IndexAccounts implements Processor<String, Account, Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(IndexAccounts.class);
  private KeyValueStore<String, Account> store;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(LedgerTopology.ACCOUNTS_STORE);
  }

  @Override
  public void process(Record<String, Account> record) {
    String id = record.key();
    if (id == null || id.isEmpty() || id.charAt(0) == '\0') {
      LOG.warn("ignoring accounts record with unusable key '{}'", id);
      return;
    }
    Account account = record.value();
    if (account != null && !id.equals(account.accountId())) {
      LOG.warn("ignoring accounts record keyed '{}' whose accountId is '{}'", id, account.accountId());
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
