package dev.letmepost.ledger;

import dev.letmepost.command.Command;
import dev.letmepost.command.CommandSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * A record of the ledger's by-batch repartition topic (key the batch id an action names,
 * docs/contract.md#batch-actions): a batch action's command. {@code fingerprint} and {@code
 * retryBatchId} are always null now; the format keeps them because the previous version also wrote
 * batch-directory entries ({@code command} null, {@code fingerprint} set) to this topic, which
 * {@link DecideAction} reads and skips after an upgrade. Never seen outside the ledger.
 */
record BatchLookup(Command command, String fingerprint, String retryBatchId) {
  static BatchLookup action(Command command) {
    return new BatchLookup(command, null, null);
  }

  private static final byte VERSION = 1;

  /** Version byte, fingerprint and retry batch id (length-prefixed, -1 for null), the command. */
  static Serde<BatchLookup> serde() {
    CommandSerde commands = new CommandSerde();
    return Serdes.serdeFrom(
        (topic, v) -> {
          if (v == null) {
            return null;
          }
          byte[] f = utf8(v.fingerprint());
          byte[] r = utf8(v.retryBatchId());
          byte[] c =
              v.command() == null ? null : commands.serializer().serialize(topic, v.command());
          ByteBuffer buf = ByteBuffer.allocate(1 + 12 + len(f) + len(r) + len(c)).put(VERSION);
          for (byte[] field : new byte[][] {f, r, c}) {
            buf.putInt(field == null ? -1 : field.length);
            if (field != null) {
              buf.put(field);
            }
          }
          return buf.array();
        },
        (topic, bytes) -> {
          if (bytes == null) {
            return null;
          }
          try {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            byte version = buf.get();
            if (version != VERSION) {
              throw new SerializationException("unknown batch lookup version " + version);
            }
            String f = str(field(buf));
            String r = str(field(buf));
            byte[] c = field(buf);
            return new BatchLookup(
                c == null ? null : commands.deserializer().deserialize(topic, c), f, r);
          } catch (RuntimeException e) {
            throw new SerializationException("malformed batch lookup record: " + e, e);
          }
        });
  }

  private static int len(byte[] b) {
    return b == null ? 0 : b.length;
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  private static String str(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  private static byte[] field(ByteBuffer buf) {
    int n = buf.getInt();
    if (n < 0) {
      return null;
    }
    byte[] out = new byte[n];
    buf.get(out);
    return out;
  }
}
