package dev.letmepost.ledger;

import dev.letmepost.command.BatchAction;
import dev.letmepost.command.Command;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Finds the ledger task that owns the batch a batch action names: the by-batch repartition (key
 * batch id) carries the batch directory's entries (batch id to the key its replay record is filed
 * under, sent by {@link DecideRequest} when it starts a batch) and the actions; the entry of a
 * batch precedes every action on it in its partition, since the client learns the id only from an
 * answer committed together with the entry. Each action goes on keyed by its batch's key, so that
 * {@link DecideAction} decides it in the task that holds the batch; an action on an unknown id goes
 * on with no fingerprint, keyed by its own, and is answered {@code 404} there.
 *
 * <p>For a retry it also derives the new batch's id ({@link ActionKeys#retryBatchId}, in this same
 * by-batch partition) and files the new batch's entry here at once: the new batch is started by
 * {@link DecideAction}, downstream of this processor, which cannot write back to its input. An
 * entry for a retry that is then refused is never answered to anyone, so no action can name it.
 */
final class LocateBatch implements Processor<String, BatchLookup, String, BatchLookup> {
  private final LedgerConfig config;
  private final LedgerClock clock;
  private ProcessorContext<String, BatchLookup> context;
  private WindowStore<String, String> directory;

  LocateBatch(LedgerConfig config) {
    this.config = config;
    this.clock = new LedgerClock(config);
  }

  @Override
  public void init(ProcessorContext<String, BatchLookup> context) {
    this.context = context;
    this.directory = context.getStateStore(LedgerTopology.BATCH_DIRECTORY);
  }

  @Override
  public void process(Record<String, BatchLookup> record) {
    BatchLookup in = record.value();
    String batchId = record.key();
    if (in == null || batchId == null) {
      return;
    }
    if (in.isEntry()) {
      directory.put(batchId, in.fingerprint(), record.timestamp());
      return;
    }
    Command c = in.command();
    String fingerprint = latest(batchId);
    if (fingerprint == null) {
      context.forward(record.withKey(c.fingerprint()).withValue(new BatchLookup(c, null, null)));
      return;
    }
    String retryBatchId = null;
    boolean retry =
        BatchAction.parse(c.method(), c.path())
            .map(a -> a.kind() == BatchAction.Kind.RETRY)
            .orElse(false);
    if (retry) {
      int n = config.partitions();
      String recordKey =
          ActionKeys.recordKey(c.fingerprint(), ActionKeys.partition(fingerprint, n), n);
      long firstSeen = clock.brokerTime(record.timestamp(), context.currentSystemTimeMs());
      retryBatchId =
          ActionKeys.retryBatchId(recordKey, firstSeen, ActionKeys.partition(batchId, n), n);
      directory.put(retryBatchId, recordKey, record.timestamp());
    }
    context.forward(
        record.withKey(fingerprint).withValue(new BatchLookup(c, fingerprint, retryBatchId)));
  }

  private String latest(String batchId) {
    String fingerprint = null;
    try (WindowStoreIterator<String> it = directory.fetch(batchId, 0L, Long.MAX_VALUE)) {
      while (it.hasNext()) {
        fingerprint = it.next().value;
      }
    }
    return fingerprint;
  }
}
