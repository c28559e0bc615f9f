package dev.letmepost.publish;

import dev.letmepost.client.Backoff;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.PublishTask;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A publisher worker's poll thread: sessions of polling, each journaling every polled task in one
 * transaction with the consumed offsets before any call starts, and between polls recovering
 * assigned partitions, writing finished outcomes, renewing the lease and pausing partitions while
 * too many tasks are held; a session that ends on a fault is followed by a new one after a backoff.
 * Its thread owns the consumer and runs every transaction; it is the consumer's rebalance listener.
 */
final class PollLoop {
  /*
   * Transactions. Every transaction (journal, outcomes, hand-over, lease renewal) goes through
   * Transactions.transact(), which keeps KafkaProducer's rules: a commit timeout is retried as a
   * commit, any other error aborts, a fatal one closes the producer and builds a new one. After a
   * rebuild the worker rewinds the consumer to the committed offsets and reads the journal of the
   * assigned partitions again, as on assignment (AssignmentRecovery.restart). A finished outcome
   * stays unwritten (InFlight) until a transaction holding it commits: no failure path drops it.
   * (If a commit left in doubt did complete, its outcomes are written twice; the ledger keeps the
   * first outcome per target, and a second tombstone is harmless.)
   *
   * Finished calls. A call ends on a lane thread, and its outcome is written by this thread after
   * its next poll. While any call is held the poll waits at most BUSY_POLL_TIMEOUT, so an outcome
   * waits for that, not for POLL_TIMEOUT. Not consumer.wakeup() from the lane thread: a wakeup
   * fires in whichever blocking consumer call comes next, and this thread makes such calls outside
   * poll (committed offsets and positions while recovering, also inside the rebalance callbacks
   * that poll runs), where a WakeupException would cut a recovery short; the short poll costs only
   * more loops (about 100 a second) while calls run.
   */

  static final String MALFORMED_TASK = "malformed_task";

  private static final Logger log = LoggerFactory.getLogger(PollLoop.class);

  /** How long a poll waits for tasks while no call is held. */
  static final Duration POLL_TIMEOUT = Duration.ofMillis(100);

  /** How long a poll waits for tasks while calls are held, whose outcomes it will then write. */
  static final Duration BUSY_POLL_TIMEOUT = Duration.ofMillis(10);

  private static final Duration ERROR_PAUSE = Duration.ofSeconds(1);

  private final WorkerContext worker;
  private final PublisherConfig config;
  private final Consumer<String, byte[]> consumer;
  private final PartitionLease lease;
  private final Transactions transactions;
  private final AssignmentRecovery recovery;
  private final TaskJob.Factory jobs;
  private final Backoff restartBackoff;
  private final Rebalance rebalance = new Rebalance();

  /** Why the worker is not running (restarting, or stopped for good), or null while it runs. */
  private volatile String down;

  // Poll thread only: sessions ended by a fault in a row, reset once the producer is ready again.
  private int failedSessions;

  // Poll thread only: when the current poll began.
  private long pollStartedAt;

  /**
   * @param restartBackoff the wait before a new session after one that ended on a fault
   */
  PollLoop(
      WorkerContext worker,
      PartitionLease lease,
      AssignmentRecovery recovery,
      TaskJob.Factory jobs,
      Backoff restartBackoff) {
    this.worker = Objects.requireNonNull(worker, "worker");
    this.config = worker.config();
    this.consumer = worker.consumer();
    this.lease = Objects.requireNonNull(lease, "lease");
    this.transactions = lease.transactions();
    this.recovery = Objects.requireNonNull(recovery, "recovery");
    this.jobs = Objects.requireNonNull(jobs, "jobs");
    this.restartBackoff = Objects.requireNonNull(restartBackoff, "restartBackoff");
  }

  /** Why the worker is not running (restarting, or stopped for good), or null while it runs. */
  String down() {
    return down;
  }

  /**
   * Runs sessions until the worker is closed. A session that ends on a fault (its producer kept
   * failing fatally; or an unexpected error) has released its partitions; a new one starts after a
   * capped exponential backoff, meanwhile {@link #down} names the fault. A fenced instance id stops
   * it for good. Returns when the worker is being closed or stopped for good.
   */
  void run() {
    try {
      while (!worker.closing().get()) {
        String fault = session();
        if (fault == null || worker.closing().get()) {
          break;
        }
        int n = ++failedSessions;
        Duration delay = restartBackoff.delay(n);
        down =
            "is restarting: "
                + fault
                + " (failure "
                + n
                + " in a row; next attempt in "
                + delay
                + ")";
        log.error(
            "publisher {} stopped: {} (its journaled tasks will be reconciled by the next owner);"
                + " restarting in {}",
            config.transactionalId(),
            fault,
            delay);
        try {
          worker.sleeper().sleep(delay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        transactions.restart();
      }
    } catch (RuntimeException e) {
      down = "stopped for good on an error: " + e;
      log.error("publisher {} stopped on an error", config.groupId(), e);
    }
  }

  /**
   * One session: subscribes and loops until the worker is closed (then hands over its partitions
   * and answers null) or a fault ends it (then releases its partitions as lost and answers the
   * fault). A fenced instance id answers null after setting {@link #down} for good.
   */
  private String session() {
    String fault;
    try {
      consumer.subscribe(List.of(worker.taskTopic()), rebalance);
      while (!worker.closing().get()) {
        try {
          ensureProducer();
          if (down != null) {
            log.info("publisher {} runs again", config.transactionalId());
            down = null;
            failedSessions = 0;
          }
          pollOnce();
          recovery.advance();
          lease.flushFinished();
          lease.renewIfDue();
          applyBackpressure();
        } catch (WakeupException e) {
          // close() woke the consumer; the loop condition ends the loop.
        } catch (FencedInstanceIdException e) {
          down =
              "stopped for good: another worker joined "
                  + config.groupId()
                  + " with the same instance id; give each running worker its own --instance-id";
          log.error("publisher {} {}", config.transactionalId(), down);
          return null;
        } catch (Transactions.GiveUp e) {
          fault = e.getMessage();
          release();
          return fault;
        } catch (RuntimeException e) {
          log.error("publisher {} failed a loop; going on in {}", config.groupId(), ERROR_PAUSE, e);
          pause();
        }
      }
      lease.handOver(taskPartitions(consumer.assignment()));
      return null;
    } catch (WakeupException e) {
      return null;
    } catch (RuntimeException e) {
      if (worker.closing().get()) {
        return null;
      }
      fault = "error: " + e;
      log.error("publisher {} session ended on an error", config.groupId(), e);
      release();
      return fault;
    }
  }

  /**
   * Leaves the group after a fault: the partitions are treated as lost (no transaction can be
   * written; their journal entries stand for their next owner) and the consumer unsubscribes, so
   * other workers take them while this one waits to restart.
   */
  private void release() {
    try {
      rebalance.onPartitionsLost(Set.copyOf(consumer.assignment()));
      consumer.unsubscribe();
    } catch (RuntimeException e) {
      log.warn(
          "publisher {} could not release its partitions cleanly: {}",
          config.transactionalId(),
          e.toString());
    }
  }

  /**
   * Makes sure a producer with initialized transactions exists; after it was rebuilt, rewinds the
   * consumer to the committed offsets and re-reads the journal (retried on the next loop if it
   * fails).
   */
  private void ensureProducer() {
    transactions.ensureReady(() -> recovery.restart(taskPartitions(consumer.assignment())));
  }

  /** Polls, and journals what it polled with the consumed offsets before starting any call. */
  private void pollOnce() {
    pollStartedAt = worker.clock().millis();
    ConsumerRecords<String, byte[]> records =
        consumer.poll(worker.inFlight().isEmpty() ? POLL_TIMEOUT : BUSY_POLL_TIMEOUT);
    if (records.isEmpty()) {
      return;
    }
    List<TaskJob> accepted = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> next = nextOffsets(records);
    long now = worker.clock().millis();
    boolean journaled =
        transactions.transact(
            "journal " + records.count() + " task(s)",
            producer -> {
              accepted.clear();
              for (ConsumerRecord<String, byte[]> r : records) {
                PublishTask task = parse(r, producer);
                if (task == null) {
                  continue;
                }
                producer.send(worker.journal().attempting(r.partition(), task, now));
                accepted.add(jobs.job(task, r.partition(), false, null, null));
              }
            },
            next);
    if (!journaled) {
      if (transactions.rebuildPending()) {
        // The commit may have happened: after the rebuild the journal tells; none was called.
        recovery.leftInDoubt(accepted, now);
      }
      log.warn(
          "publisher {} could not journal {} task(s); they will be polled again",
          config.groupId(),
          records.count());
      rewind(records);
      return;
    }
    lease.committed(next);
    accepted.forEach(worker.inFlight()::start);
  }

  /** The task in {@code r}, or null after dead-lettering a record that holds none. */
  private PublishTask parse(ConsumerRecord<String, byte[]> r, Producer<String, byte[]> producer) {
    String problem;
    try {
      if (r.value() == null) {
        problem = "value is null, expected a PublishTask JSON object";
      } else {
        PublishTask task = Json.read(r.value(), PublishTask.class);
        if (task.platform().equals(config.platform().wireName())) {
          return task;
        }
        problem =
            "task "
                + task.taskId()
                + " is for platform '"
                + task.platform()
                + "', not "
                + config.platform().wireName();
      }
    } catch (RuntimeException e) {
      problem = e.getMessage();
    }
    log.warn(
        "dead-lettering malformed task at {}-{}@{}: {}",
        r.topic(),
        r.partition(),
        r.offset(),
        problem);
    producer.send(deadLetter(r, problem));
    return null;
  }

  private ProducerRecord<String, byte[]> deadLetter(
      ConsumerRecord<String, byte[]> record, String message) {
    Headers headers = new RecordHeaders(record.headers().toArray());
    for (String h :
        List.of(
            LmpHeaders.ERROR_CODE,
            LmpHeaders.ERROR_MESSAGE,
            LmpHeaders.ERROR_TOPIC,
            LmpHeaders.ERROR_PARTITION,
            LmpHeaders.ERROR_OFFSET)) {
      headers.remove(h);
    }
    headers.add(LmpHeaders.ERROR_CODE, utf8(MALFORMED_TASK));
    headers.add(LmpHeaders.ERROR_MESSAGE, utf8(String.valueOf(message)));
    headers.add(LmpHeaders.ERROR_TOPIC, utf8(record.topic()));
    headers.add(LmpHeaders.ERROR_PARTITION, utf8(Integer.toString(record.partition())));
    headers.add(LmpHeaders.ERROR_OFFSET, utf8(Long.toString(record.offset())));
    return new ProducerRecord<>(
        config.topics().deadLetters().name(), null, record.key(), record.value(), headers);
  }

  /** Pauses every partition while too many tasks are held; else resumes all but recovering ones. */
  private void applyBackpressure() {
    Set<TopicPartition> assigned = consumer.assignment();
    if (worker.inFlight().size() >= config.maxInFlight()) {
      consumer.pause(assigned);
      return;
    }
    Set<TopicPartition> resumable = new HashSet<>(consumer.paused());
    resumable.retainAll(assigned);
    resumable.removeAll(recovery.partitions());
    if (!resumable.isEmpty()) {
      consumer.resume(resumable);
    }
  }

  private Set<TopicPartition> taskPartitions(Collection<TopicPartition> partitions) {
    return partitions.stream()
        .filter(tp -> tp.topic().equals(worker.taskTopic()))
        .collect(Collectors.toSet());
  }

  private static Map<TopicPartition, OffsetAndMetadata> nextOffsets(
      ConsumerRecords<String, byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> polled = records.records(partition);
      next.put(partition, new OffsetAndMetadata(polled.get(polled.size() - 1).offset() + 1));
    }
    return next;
  }

  private void rewind(ConsumerRecords<String, byte[]> records) {
    for (TopicPartition partition : records.partitions()) {
      try {
        consumer.seek(partition, records.records(partition).get(0).offset());
      } catch (RuntimeException e) {
        log.warn("publisher {} could not rewind {}: {}", config.groupId(), partition, e.toString());
      }
    }
  }

  private void pause() {
    try {
      worker.sleeper().sleep(ERROR_PAUSE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      worker.closing().set(true);
    }
  }

  private static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  /** Hands over revoked partitions and recovers assigned ones. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      Set<TopicPartition> tasks = taskPartitions(partitions);
      lease.handOver(tasks);
      recovery.stop(tasks);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // Another member may own them already: stop, but leave the journal as it is.
      Set<TopicPartition> tasks = taskPartitions(partitions);
      lease.lose(tasks);
      recovery.stop(tasks);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      // The assignment came with this poll: this member owned its partitions when it began.
      lease.confirm(pollStartedAt);
      recovery.start(taskPartitions(partitions));
    }
  }
}
