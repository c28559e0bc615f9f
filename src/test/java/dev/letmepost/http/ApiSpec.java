package dev.letmepost.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The API documents as the tests read them: {@code openapi.json} and {@code asyncapi.json} from the
 * classpath (the files under src/main/resources, the ones the gateway serves), JSON Schema
 * validation of a body against a schema of either (draft 2020-12, networknt), and the comparisons
 * that keep the documents honest: what the code has that a document lacks.
 */
public final class ApiSpec {
  /*
   * Schemas are addressed as "<document>#<JSON pointer>", e.g.
   * "openapi.json#/components/schemas/Envelope"; asyncapi.json refers to openapi.json's schemas by
   * the relative reference "openapi.json#/...", which resolves on the classpath like any other.
   * Every comparison returns what is missing (empty when the documents are complete), so that a
   * test can show it fails on a made-up mismatch as well as pass on the real code.
   */
  public static final String OPENAPI = "openapi.json";
  public static final String ASYNCAPI = "asyncapi.json";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final SchemaRegistry REGISTRY =
      SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
  private static final Map<String, Schema> SCHEMAS = new ConcurrentHashMap<>();
  private static final Map<String, JsonNode> DOCUMENTS = new ConcurrentHashMap<>();

  private ApiSpec() {}

  /** The document {@code name} ({@link #OPENAPI}, {@link #ASYNCAPI}) as kept in the repository. */
  public static JsonNode document(String name) {
    return DOCUMENTS.computeIfAbsent(name, n -> tree(bytes(n)));
  }

  public static byte[] bytes(String name) {
    try (InputStream in = ApiSpec.class.getResourceAsStream("/" + name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is not on the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonNode tree(byte[] json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonNode tree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage() + "\n" + json, e);
    }
  }

  /** The pointer of a schema of components/schemas: {@code openapi.json#/components/schemas/X}. */
  public static String openapiSchema(String name) {
    return OPENAPI + "#/components/schemas/" + name;
  }

  public static String asyncapiSchema(String name) {
    return ASYNCAPI + "#/components/schemas/" + name;
  }

  /** A JSON pointer segment, escaped ({@code ~0}, {@code ~1}). */
  public static String escape(String segment) {
    return segment.replace("~", "~0").replace("/", "~1");
  }

  /** The node at {@code ref} ({@code doc#pointer}), following $ref chains of the same documents. */
  public static JsonNode resolve(String ref) {
    int hash = ref.indexOf('#');
    JsonNode n = document(ref.substring(0, hash)).at(ref.substring(hash + 1));
    if (n.isMissingNode()) {
      throw new IllegalArgumentException("no node at " + ref);
    }
    return n;
  }

  /** {@code node} itself, or what its {@code $ref} points to (relative to {@code doc}). */
  public static JsonNode deref(String doc, JsonNode node) {
    JsonNode r = node.get("$ref");
    if (r == null || node.has("properties")) {
      return node;
    }
    String ref = r.asText();
    return deref(
        ref.startsWith("#") ? doc : ref.substring(0, ref.indexOf('#')),
        resolve(ref.startsWith("#") ? doc + ref : ref));
  }

  /** The validation errors of {@code json} against the schema at {@code ref}; empty when valid. */
  public static List<String> validate(String ref, String json) {
    Schema schema =
        SCHEMAS.computeIfAbsent(ref, r -> REGISTRY.getSchema(SchemaLocation.of("classpath:" + r)));
    return schema.validate(json, InputFormat.JSON).stream().map(Error::toString).toList();
  }

  /**
   * {@link #validate}, leaving out the errors about an instance that is exactly {@code ignored}
   * (JSON text): a placeholder an example stands in for an elided value with.
   */
  public static List<String> validateIgnoring(String ref, String json, String ignored) {
    Schema schema =
        SCHEMAS.computeIfAbsent(ref, r -> REGISTRY.getSchema(SchemaLocation.of("classpath:" + r)));
    return schema.validate(json, InputFormat.JSON).stream()
        .filter(e -> e.getInstanceNode() == null || !ignored.equals(e.getInstanceNode().toString()))
        .map(Error::toString)
        .toList();
  }

  /** {@link #validate} of bytes (UTF-8). */
  public static List<String> validate(String ref, byte[] json) {
    return validate(ref, new String(json, java.nio.charset.StandardCharsets.UTF_8));
  }

  // ---- what the code has ----

  /** The names of a record's components, which are its JSON properties (no renaming is used). */
  public static Set<String> components(Class<?> record) {
    if (!record.isRecord()) {
      throw new IllegalArgumentException(record + " is not a record");
    }
    return Arrays.stream(record.getRecordComponents())
        .map(RecordComponent::getName)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The values of the {@code static final String} fields of {@code type} whose name passes. */
  public static List<String> constants(Class<?> type, Predicate<String> fieldName) {
    List<String> values = new ArrayList<>();
    for (Field f : type.getDeclaredFields()) {
      int m = f.getModifiers();
      if (Modifier.isStatic(m)
          && Modifier.isFinal(m)
          && f.getType() == String.class
          && fieldName.test(f.getName())) {
        try {
          f.setAccessible(true);
          values.add((String) f.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return values;
  }

  // ---- what a document has ----

  /** The property names of the object schema at {@code ref} (after its $ref, if only that). */
  public static Set<String> properties(String ref) {
    String doc = ref.substring(0, ref.indexOf('#'));
    JsonNode schema = deref(doc, resolve(ref));
    JsonNode props = schema.path("properties");
    Set<String> names = new TreeSet<>();
    props.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** The elements of {@code code} that {@code spec} lacks, case-insensitively when asked. */
  public static Set<String> missing(Iterable<String> code, Set<String> spec, boolean ignoreCase) {
    Set<String> have = new TreeSet<>(ignoreCase ? String.CASE_INSENSITIVE_ORDER : null);
    have.addAll(spec);
    Set<String> out = new TreeSet<>();
    for (String c : code) {
      if (!have.contains(c)) {
        out.add(c);
      }
    }
    return out;
  }

  /** Each field name of an object node. */
  public static Iterable<Map.Entry<String, JsonNode>> fields(JsonNode node) {
    return () -> {
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      return it;
    };
  }
}
