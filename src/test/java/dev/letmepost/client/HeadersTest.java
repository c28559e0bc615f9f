package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.http.ApiHeaders;
import dev.letmepost.wire.LmpHeaders;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The contract's header names: one home, and the server's packages name the same headers. */
class HeadersTest {
  @Test
  void recordHeaderNamesAreTheContractsInLowerCase() {
    assertThat(Headers.PRINCIPAL).isEqualTo("lmp-principal");
    assertThat(Headers.IDEMPOTENCY_KEY).isEqualTo("idempotency-key");
    assertThat(Headers.REQUEST_ID).isEqualTo("lmp-request-id");
    assertThat(Headers.METHOD).isEqualTo("lmp-method");
    assertThat(Headers.PATH).isEqualTo("lmp-path");
    assertThat(Headers.STATUS).isEqualTo("lmp-status");
    assertThat(Headers.REPLAYED).isEqualTo("idempotent-replayed");
    assertThat(Headers.BATCH_ID).isEqualTo("lmp-batch-id");
    assertThat(Headers.KEY_EXPIRES).isEqualTo("lmp-key-expires");
    assertThat(Headers.EVENT_TYPE).isEqualTo("lmp-event-type");
    for (String name : constants(Headers.class)) {
      if (!name.startsWith("DEFAULT_")) {
        String value = value(Headers.class, name);
        assertThat(value).as(name).isEqualTo(value.toLowerCase(Locale.ROOT));
      }
    }
  }

  @Test
  void wireLmpHeadersNamesEveryHeaderAsTheClientDoes() {
    for (String name : constants(LmpHeaders.class)) {
      assertThat(value(LmpHeaders.class, name)).as(name).isEqualTo(value(Headers.class, name));
    }
  }

  @Test
  void theGatewaysHttpHeadersAreTheClientsHttpHeaders() {
    for (String name : constants(Headers.Http.class)) {
      assertThat(value(ApiHeaders.class, name)).as(name).isEqualTo(value(Headers.Http.class, name));
    }
  }

  private static List<String> constants(Class<?> type) {
    List<String> names = new ArrayList<>();
    for (Field f : type.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        names.add(f.getName());
      }
    }
    assertThat(names).isNotEmpty();
    return names;
  }

  private static String value(Class<?> type, String name) {
    try {
      return (String) type.getField(name).get(null);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(type.getSimpleName() + " has no constant " + name, e);
    }
  }
}
