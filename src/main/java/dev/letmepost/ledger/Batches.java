package dev.letmepost.ledger;

import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.PublishTask;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The ledger's shared moves on a batch, used by every processor of the ledger task: save a replay
 * record, release its tasks, complete it and answer, keep its timer. Each processor builds one over
 * its own context; none of it blocks.
 */
final class Batches {
  private final LedgerConfig config;
  private final WindowStore<String, LedgerRecord> replay;
  private final KeyValueStore<String, Long> timers;
  private final Consumer<Record<String, Emission>> forward;
  private final Effects effects;

  /** Estimated bytes of every record sent and saved while metering ({@link #written}). */
  private long written;

  /**
   * Whether {@link #written} counts: only within {@link ExpireOverdue}'s calls, off the hot path.
   */
  private boolean metering;

  /**
   * @param effects where the writes and forwards go: at once, or held until the decision is
   *     complete ({@link Effects}); reads always go to the stores
   */
  Batches(
      LedgerConfig config,
      WindowStore<String, LedgerRecord> replay,
      KeyValueStore<String, Long> timers,
      Consumer<Record<String, Emission>> forward,
      Effects effects) {
    this.config = config;
    this.replay = replay;
    this.timers = timers;
    this.forward = forward;
    this.effects = effects;
  }

  /** Timer kind of a scheduled batch waiting for its release (wall clock). */
  static final char RELEASE = 'r';

  /**
   * Timer kind of a running batch's deadline (closed on a ledger tick, see {@link FoldOutcome}).
   */
  static final char DEADLINE = 'd';

  /**
   * The timer-index key: its kind, then the due time (fixed-width hex sorts by time), then the
   * batch's window time and fingerprint, which together name one replay record. Two TTL periods of
   * one fingerprint can fall due at the same millisecond; each keeps its own entry.
   */
  static String timerKey(char kind, long due, long windowTime, String fingerprint) {
    StringBuilder b = new StringBuilder(36 + fingerprint.length()).append(kind).append('|');
    hex16(b, due).append('|');
    return hex16(b, windowTime).append('|').append(fingerprint).toString();
  }

  /**
   * Appends {@code v} as 16 lower-case hex digits, as {@code %016x} (two's complement when
   * negative), without {@link String#format}: a timer key is built for every batch.
   */
  private static StringBuilder hex16(StringBuilder b, long v) {
    for (int shift = 60; shift >= 0; shift -= 4) {
      b.append(Character.forDigit((int) (v >>> shift) & 0xf, 16));
    }
    return b;
  }

  /** The lower bound of every timer key of {@code kind}. */
  static String firstKey(char kind) {
    return kind + "|";
  }

  /** The upper bound of every timer key of {@code kind} due at or before {@code time}. */
  static String lastKeyDueBy(char kind, long time) {
    return hex16(new StringBuilder(19).append(kind).append('|'), time).append("|~").toString();
  }

  static String fingerprintOf(String timerKey) {
    return timerKey.substring(36);
  }

  LedgerRecord find(String fingerprint, long windowTime) {
    return replay.fetch(fingerprint, windowTime);
  }

  /** Writes the record under its window time: updates never move its retention. */
  void save(String fingerprint, LedgerRecord record) {
    if (metering) {
      written += recordBytes(record);
    }
    effects.add(() -> replay.put(fingerprint, record, record.filedAt()));
  }

  /**
   * An estimate, from above for any record the ledger accepts, of the bytes this has sent
   * downstream and written to the replay store (its changelog) so far: task, answer and event
   * values and their keys and headers. Built from the sizes of the strings and bytes each record
   * carries, never by serializing it. {@link ExpireOverdue} bounds the bytes of one punctuation or
   * tick by it.
   */
  long written() {
    return written;
  }

  /**
   * Runs {@code work} with the byte estimate on ({@link #written}); elsewhere (every command and
   * outcome) nothing is estimated.
   */
  <T> T metered(java.util.function.Supplier<T> work) {
    metering = true;
    try {
      return work.get();
    } finally {
      metering = false;
    }
  }

  /** Fixed bytes counted for each record besides its variable content: key, headers, ids, names. */
  static final int RECORD_OVERHEAD_BYTES = 2_048;

  /** Fixed bytes counted per target of a stored replay record: ids, status, outcome fields. */
  private static final int STORED_TARGET_BYTES = 1_024;

  private static long recordBytes(LedgerRecord record) {
    long bytes =
        RECORD_OVERHEAD_BYTES
            + (long) STORED_TARGET_BYTES * (record.targets().size() + record.pending().size())
            + (record.response() == null ? 0 : record.response().size())
            + contentBytes(record.content());
    for (LedgerRecord.TargetState t : record.targets()) {
      if (t.error() != null) {
        bytes += jsonBytes(t.error().message());
      }
    }
    return bytes;
  }

  /** The bytes of a post's content once written as JSON: text, media, first comment. */
  static long contentBytes(LedgerRecord.PostContent content) {
    return content == null
        ? 0
        : contentBytes(content.text(), content.media(), content.firstComment());
  }

  private static long contentBytes(
      String text, List<PublishTask.Media> media, String firstComment) {
    long bytes = jsonBytes(text) + jsonBytes(firstComment);
    if (media != null) {
      for (PublishTask.Media m : media) {
        bytes += 32 + jsonBytes(m.url()) + jsonBytes(m.altText());
      }
    }
    return bytes;
  }

  /**
   * The most bytes {@code s} takes as a JSON string's content: 1 to 3 bytes of UTF-8 per char (a
   * surrogate pair 4), 2 for an escaped quote or backslash, 6 for a control character or a lone
   * surrogate (escaped).
   */
  static long jsonBytes(String s) {
    if (s == null) {
      return 0;
    }
    long bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20) {
        bytes += 6;
      } else if (c == '"' || c == '\\') {
        bytes += 2;
      } else if (c < 0x80) {
        bytes += 1;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        bytes += 6;
      } else {
        bytes += c < 0x800 ? 2 : 3;
      }
    }
    return bytes;
  }

  void schedule(String fingerprint, LedgerRecord record) {
    String key = timerKey(kind(record), record.due(), record.filedAt(), fingerprint);
    long filedAt = record.filedAt();
    effects.add(() -> timers.put(key, filedAt));
  }

  private void unschedule(String fingerprint, LedgerRecord record) {
    if (record.released() || record.scheduledAt() != null) {
      String key = timerKey(kind(record), record.due(), record.filedAt(), fingerprint);
      effects.add(() -> timers.delete(key));
    }
  }

  private static char kind(LedgerRecord record) {
    return record.released() ? DEADLINE : RELEASE;
  }

  /** Sends the tasks with their deadline, saves the record as running and sets its timer. */
  LedgerRecord release(
      String fingerprint, LedgerRecord record, List<PublishTask> tasks, long now, long timestamp) {
    long deadline = now + config.targetDeadline().toMillis();
    LedgerRecord.PostContent content = record.content();
    long contentBytes = metering ? contentBytes(content) : 0;
    for (PublishTask task : tasks) {
      Headers headers = new RecordHeaders();
      headers.add(LmpHeaders.BATCH_ID, utf8(task.batchId()));
      PublishTask full =
          content == null
              ? task
              : task.withContent(content.text(), content.media(), content.firstComment());
      if (metering) {
        written +=
            RECORD_OVERHEAD_BYTES
                + contentBytes
                + contentBytes(task.text(), task.media(), task.firstComment())
                + jsonBytes(task.principal())
                + jsonBytes(task.accountId());
      }
      send(
          new Record<>(
              task.accountId(),
              new Emission.Task(full.withDeadline(deadline)),
              timestamp,
              headers));
    }
    unschedule(fingerprint, record);
    LedgerRecord running = record.released(deadline);
    save(fingerprint, running);
    schedule(fingerprint, running);
    return running;
  }

  /**
   * Cancels a scheduled batch that is not released: removes its release timer, records it {@code
   * canceled} at {@code at} and emits {@code batch.canceled}. Nothing of it is ever published.
   */
  LedgerRecord cancel(String fingerprint, LedgerRecord record, long at, long timestamp) {
    unschedule(fingerprint, record);
    LedgerRecord canceled = record.canceled(Math.max(at, record.firstSeen()));
    save(fingerprint, canceled);
    emit(
        PostEvents.batch(
            PostEvent.BATCH_CANCELED, canceled, Answers.current(canceled), canceled.canceledAt()),
        timestamp);
    return canceled;
  }

  /**
   * Moves a scheduled batch that is not released to {@code scheduledAt} and emits {@code
   * batch.rescheduled} (its id made unique by {@code change}, the action's record key); a time not
   * after {@code brokerTime} releases it at once, as at creation.
   */
  LedgerRecord reschedule(
      String fingerprint,
      LedgerRecord record,
      long scheduledAt,
      long brokerTime,
      String change,
      long now,
      long timestamp) {
    unschedule(fingerprint, record);
    LedgerRecord moved = record.rescheduled(scheduledAt);
    emit(
        PostEvents.batch(
            PostEvent.BATCH_RESCHEDULED,
            moved,
            Answers.envelope(moved, Answers.SCHEDULED),
            Math.max(brokerTime, record.firstSeen()),
            change),
        timestamp);
    if (scheduledAt > brokerTime) {
      save(fingerprint, moved);
      schedule(fingerprint, moved);
      return moved;
    }
    return release(fingerprint, moved, moved.pending(), now, timestamp);
  }

  /**
   * Closes the batch: renders its final envelope, records it and sends it to the request and its
   * waiters if the request is not answered yet (a scheduled batch was answered with 202 already),
   * and emits {@code batch.completed} with that envelope.
   */
  LedgerRecord complete(String fingerprint, LedgerRecord record, long completedAt, long timestamp) {
    unschedule(fingerprint, record);
    LedgerRecord done = record.completed(Math.max(completedAt, record.firstSeen()));
    String status = Answers.batchStatus(done.targets());
    ByteString envelope = Answers.envelope(done, status);
    if (!done.answered()) {
      int code = Answers.httpStatus(status);
      reply(done.requestId(), code, envelope, false, done, timestamp);
      for (String waiter : done.waiters()) {
        reply(waiter, code, envelope, true, done, timestamp);
      }
      done = done.answered(code, envelope);
    }
    save(fingerprint, done);
    emit(
        PostEvents.batch(PostEvent.BATCH_COMPLETED, done, envelope, done.completedAt()), timestamp);
    return done;
  }

  /**
   * Emits the {@code target.*} event of target {@code index} of {@code batch}, which this change
   * closed; its time is {@code at}, never before the batch was accepted.
   */
  void targetClosed(LedgerRecord batch, int index, long at, long timestamp) {
    emit(PostEvents.target(batch, index, Math.max(at, batch.firstSeen())), timestamp);
  }

  /** Sends a lifecycle event to the events topic, in this processor's transaction. */
  void emit(PostEvent event, long timestamp) {
    if (metering) {
      written += RECORD_OVERHEAD_BYTES + PostEvents.embeddedBytes(event);
    }
    send(PostEvents.record(event, timestamp));
  }

  /** Answers a request about an existing batch record. */
  void reply(
      String requestId,
      int status,
      ByteString body,
      boolean replayed,
      LedgerRecord about,
      long timestamp) {
    Headers h = headers(requestId, status, replayed, about.idempotencyKey());
    h.add(LmpHeaders.BATCH_ID, utf8(about.batchId()));
    h.add(LmpHeaders.KEY_EXPIRES, utf8(Rfc3339.format(config.expiry(about))));
    sendReply(requestId, body, timestamp, h);
  }

  /** Forwards {@code record} downstream, at once or when the decision is applied. */
  void send(Record<String, Emission> record) {
    effects.add(() -> forward.accept(record));
  }

  /** Answers a request that has no batch (an error); {@code expiresAt} null when no record. */
  void replyError(
      String requestId,
      int status,
      ByteString body,
      String idempotencyKey,
      Long expiresAt,
      long timestamp) {
    Headers h = headers(requestId, status, false, idempotencyKey);
    if (expiresAt != null) {
      h.add(LmpHeaders.KEY_EXPIRES, utf8(Rfc3339.format(expiresAt)));
    }
    sendReply(requestId, body, timestamp, h);
  }

  private void sendReply(String requestId, ByteString body, long timestamp, Headers h) {
    if (metering) {
      written += RECORD_OVERHEAD_BYTES + body.size();
    }
    send(new Record<>(requestId, new Emission.Reply(body), timestamp, h));
  }

  static Headers headers(String requestId, int status, boolean replayed, String idempotencyKey) {
    Headers h = new RecordHeaders();
    h.add(LmpHeaders.REQUEST_ID, utf8(requestId));
    h.add(LmpHeaders.STATUS, utf8(Integer.toString(status)));
    h.add(LmpHeaders.REPLAYED, utf8(Boolean.toString(replayed)));
    if (idempotencyKey != null) {
      h.add(LmpHeaders.IDEMPOTENCY_KEY, utf8(idempotencyKey));
    }
    return h;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
