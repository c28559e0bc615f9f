package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.wire.ByteString;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The request index's binary value: every entry reads back equal, and a damaged value (a value in
 * another format among them) is refused with a message that says why.
 */
class RequestEntryCodecProperties {
  @Provide
  Arbitrary<RequestEntry> entries() {
    Arbitrary<String> text = Arbitraries.strings().ofMaxLength(80);
    Arbitrary<String> optional = text.injectNull(0.3);
    Arbitrary<RequestEntry> pointers =
        net.jqwik.api.Combinators.combine(text, optional, text, Arbitraries.longs())
            .as(RequestEntry::pointer);
    Arbitrary<RequestEntry> answers =
        net.jqwik.api.Combinators.combine(
                text,
                optional,
                Arbitraries.integers().between(100, 599),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(300).map(ByteString::copyOf),
                Arbitraries.longs().injectNull(0.5))
            .as(RequestEntry::answer);
    return Arbitraries.oneOf(pointers, answers);
  }

  @Property(tries = 300)
  void everyEntryReadsBackEqual(@ForAll("entries") RequestEntry e) {
    byte[] bytes = RequestEntryCodec.write(e);
    assertThat(bytes[0]).isEqualTo(RequestEntryCodec.FORMAT_1);
    assertThat(RequestEntryCodec.read(bytes)).isEqualTo(e);
  }

  @Example
  void aDamagedValueIsRefusedSayingWhy() {
    byte[] good =
        RequestEntryCodec.write(
            RequestEntry.answer("key_alice", "K", 409, ByteString.copyOf(new byte[] {1}), 5L));
    assertThatThrownBy(() -> RequestEntryCodec.read(new byte[0]))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("empty value");
    assertThatThrownBy(() -> RequestEntryCodec.read(new byte[] {7, 0}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown format byte 0x07");
    assertThatThrownBy(() -> RequestEntryCodec.read(java.util.Arrays.copyOf(good, good.length - 1)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("not a request entry");
    assertThatThrownBy(() -> RequestEntryCodec.read(java.util.Arrays.copyOf(good, good.length + 1)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("1 trailing bytes");
  }
}
