package dev.letmepost.command;

import dev.letmepost.wire.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A compact binary serde for {@link Command} on the ledger's internal repartition topic: a version
 * byte, length-prefixed UTF-8 strings (length -1 for null), the body bytes, then (version 2) the
 * key's problem. Version 1 records, written before a command carried its key's problem, are read
 * with none.
 */
public final class CommandSerde implements Serde<Command> {
  private static final byte VERSION = 2;
  private static final byte VERSION_1 = 1;

  @Override
  public Serializer<Command> serializer() {
    return (topic, c) -> {
      if (c == null) {
        return null;
      }
      byte[][] fields = {
        utf8(c.requestId()),
        utf8(c.principal()),
        utf8(c.method()),
        utf8(c.path()),
        utf8(c.idempotencyKey()),
        utf8(c.fingerprint()),
        utf8(c.bodySha256())
      };
      byte[] keyProblem = utf8(c.keyProblem());
      int size = 1 + 4 + c.body().size() + 4 + (keyProblem == null ? 0 : keyProblem.length);
      for (byte[] f : fields) {
        size += 4 + (f == null ? 0 : f.length);
      }
      ByteBuffer buf = ByteBuffer.allocate(size).put(VERSION);
      for (byte[] f : fields) {
        buf.putInt(f == null ? -1 : f.length);
        if (f != null) {
          buf.put(f);
        }
      }
      buf.putInt(c.body().size());
      c.body().writeTo(buf);
      buf.putInt(keyProblem == null ? -1 : keyProblem.length);
      if (keyProblem != null) {
        buf.put(keyProblem);
      }
      return buf.array();
    };
  }

  @Override
  public Deserializer<Command> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        byte version = buf.get();
        if (version != VERSION && version != VERSION_1) {
          throw new SerializationException("unknown command encoding version " + version);
        }
        return new Command(
            str(buf),
            str(buf),
            str(buf),
            str(buf),
            str(buf),
            str(buf),
            str(buf),
            body(buf),
            version == VERSION_1 ? null : str(buf));
      } catch (RuntimeException e) {
        throw new SerializationException("malformed internal command record: " + e, e);
      }
    };
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] raw(ByteBuffer buf) {
    int len = buf.getInt();
    if (len < 0) {
      return null;
    }
    byte[] out = new byte[len];
    buf.get(out);
    return out;
  }

  private static ByteString body(ByteBuffer buf) {
    int len = buf.getInt();
    return len < 0 ? null : ByteString.readFrom(buf, len);
  }

  private static String str(ByteBuffer buf) {
    byte[] b = raw(buf);
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }
}
