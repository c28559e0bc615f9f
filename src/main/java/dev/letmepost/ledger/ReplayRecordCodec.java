package dev.letmepost.ledger;

import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;

/**
 * The replay store's value format: a {@link LedgerRecord} in a compact, versioned binary encoding.
 */
final class ReplayRecordCodec {
  /*
   * Layout of format 1, after its leading format byte (FORMAT_1), in component order:
   *
   *   string    varint 0 for null, else varint ((byteLength << 1 | utf16) + 1), then the bytes:
   *             UTF-8, or its chars as 2 bytes each, big-endian (utf16 = 1), for the rare string
   *             holding an unpaired surrogate, which UTF-8 cannot carry
   *   long      8 bytes big-endian; a nullable Long is a presence byte (0 or 1) then the 8 bytes
   *   int       varint (unsigned; a target index, a count, a status)
   *   list      varint count, then each element; a nullable list (media) varint 0 for null, else
   *             varint (count + 1)
   *   status    1 byte: 0 for an open target, else 1 + the ordinal of TargetOutcome.Status
   *   boolean?  1 byte: 0 null, 1 false, 2 true
   *   bytes?    varint 0 for null, else varint (length + 1), then the raw bytes
   *
   * retriedBy is a list of zero or one batch id (a reader refuses more).
   *
   * Why binary: a JSON value escaped every control character to 6 bytes (in the target states
   * and again inside the recorded envelope, which it held base64-encoded, 4/3 more again), so the
   * worst-case 25-target batch came to 1.3 MB, over Limits.MAX_RECORD_BYTES; here a character
   * costs its UTF-8 bytes and the envelope is stored as it is. It is also the ledger's most
   * frequent (de)serialization: every command, retry and outcome reads and rewrites the record.
   * The format byte leaves room for another layout; a reader that meets one it does not know
   * fails naming it rather than guessing.
   */

  static final byte FORMAT_1 = 1;
  private static final TargetOutcome.Status[] STATUSES = TargetOutcome.Status.values();

  private ReplayRecordCodec() {}

  /** The replay store's serde. */
  static Serde<LedgerRecord> serde() {
    return Binary.serde(ReplayRecordCodec::write, ReplayRecordCodec::read);
  }

  static byte[] write(LedgerRecord r) {
    Binary.Out out = new Binary.Out(256 + (r.response() == null ? 0 : r.response().size()));
    out.b(FORMAT_1);
    out.str(r.batchId());
    out.str(r.requestId());
    out.str(r.principal());
    out.str(r.idempotencyKey());
    out.str(r.bodySha256());
    out.i64(r.firstSeen());
    out.i64(r.filedAt());
    out.optI64(r.scheduledAt());
    out.i64(r.deadline());
    out.uint(r.targets().size());
    for (LedgerRecord.TargetState t : r.targets()) {
      out.str(t.accountId());
      out.str(t.platform());
      out.str(t.taskId());
      out.b(t.status() == null ? 0 : t.status().ordinal() + 1);
      out.str(t.postId());
      out.str(t.uri());
      error(out, t.error());
    }
    out.uint(r.waiters().size());
    for (String w : r.waiters()) {
      out.str(w);
    }
    out.uint(r.pending().size());
    for (PublishTask p : r.pending()) {
      out.str(p.taskId());
      out.str(p.batchId());
      out.str(p.fingerprint());
      out.i64(p.recordedAt());
      out.uint(p.targetIndex());
      out.str(p.accountId());
      out.str(p.principal());
      out.str(p.platform());
      out.str(p.platformIdempotencyKey());
      out.str(p.text());
      media(out, p.media());
      out.str(p.firstComment());
      out.i64(p.deadline());
    }
    LedgerRecord.PostContent c = r.content();
    out.b(c == null ? 0 : 1);
    if (c != null) {
      out.str(c.text());
      media(out, c.media());
      out.str(c.firstComment());
    }
    out.b(r.responseStatus() == null ? 0 : 1);
    if (r.responseStatus() != null) {
      out.uint(r.responseStatus());
    }
    out.bytes(r.response());
    out.optI64(r.completedAt());
    out.optI64(r.canceledAt());
    out.str(r.retryOf());
    out.uint(r.retriedBy() == null ? 0 : 1);
    if (r.retriedBy() != null) {
      out.str(r.retriedBy());
    }
    return out.toArray();
  }

  private static void error(Binary.Out out, TargetError e) {
    out.b(e == null ? 0 : 1);
    if (e != null) {
      out.str(e.code());
      out.str(e.message());
      out.b(e.retryable() == null ? 0 : e.retryable() ? 2 : 1);
    }
  }

  private static void media(Binary.Out out, List<PublishTask.Media> media) {
    if (media == null) {
      out.uint(0);
      return;
    }
    out.uint(media.size() + 1);
    for (PublishTask.Media m : media) {
      out.str(m.url());
      out.str(m.altText());
    }
  }

  /**
   * Reads a value in format 1; anything else throws {@link SerializationException} naming what was
   * wrong.
   */
  static LedgerRecord read(byte[] bytes) {
    return Binary.read(bytes, FORMAT_1, "replay record", ReplayRecordCodec::readFormat1);
  }

  private static LedgerRecord readFormat1(Binary.In in) {
    LedgerRecord.Builder r =
        LedgerRecord.builder()
            .batchId(in.str())
            .requestId(in.str())
            .principal(in.str())
            .idempotencyKey(in.str())
            .bodySha256(in.str())
            .firstSeen(in.i64())
            .filedAt(in.i64())
            .scheduledAt(in.optI64())
            .deadline(in.i64());
    int n = in.count();
    List<LedgerRecord.TargetState> targets = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String accountId = in.str();
      String platform = in.str();
      String taskId = in.str();
      int s = in.u8();
      if (s > STATUSES.length) {
        throw new IllegalArgumentException("unknown target status " + s + " at target " + i);
      }
      TargetOutcome.Status status = s == 0 ? null : STATUSES[s - 1];
      String postId = in.str();
      String uri = in.str();
      TargetError error = error(in);
      targets.add(
          new LedgerRecord.TargetState(accountId, platform, taskId, status, postId, uri, error));
    }
    r.targets(targets);
    n = in.count();
    List<String> waiters = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      waiters.add(in.str());
    }
    r.waiters(waiters);
    n = in.count();
    List<PublishTask> pending = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      pending.add(
          new PublishTask(
              in.str(), in.str(), in.str(), in.i64(), in.uint(), in.str(), in.str(), in.str(),
              in.str(), in.str(), media(in), in.str(), in.i64()));
    }
    r.pending(pending);
    r.content(in.u8() == 0 ? null : new LedgerRecord.PostContent(in.str(), media(in), in.str()))
        .responseStatus(in.u8() == 0 ? null : in.uint())
        .response(in.bytes())
        .completedAt(in.optI64())
        .canceledAt(in.optI64())
        .retryOf(in.str());
    n = in.count();
    if (n > 1) {
      throw new IllegalArgumentException("a batch has at most one retry, got " + n);
    }
    return r.retriedBy(n == 0 ? null : in.str()).build();
  }

  private static TargetError error(Binary.In in) {
    if (in.u8() == 0) {
      return null;
    }
    String code = in.str();
    String message = in.str();
    int retryable = in.u8();
    return new TargetError(code, message, retryable == 0 ? null : retryable == 2);
  }

  private static List<PublishTask.Media> media(Binary.In in) {
    int n = in.count();
    if (n == 0) {
      return null;
    }
    n--;
    List<PublishTask.Media> media = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      media.add(new PublishTask.Media(in.str(), in.str()));
    }
    return media;
  }
}
