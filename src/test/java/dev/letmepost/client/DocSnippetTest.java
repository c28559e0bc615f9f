package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The code blocks of docs/client.md and the README are the code of {@link Snippets}, which the
 * tests compile (and {@code ClientIT} runs): a block marked {@code <!-- snippet:NAME -->} is, line
 * for line, what {@code Snippets.java} holds between {@code // [NAME]} and {@code // [/NAME]}.
 */
class DocSnippetTest {
  private static final Path SOURCE = Path.of("src/test/java/dev/letmepost/client/Snippets.java");
  private static final Pattern MARKED =
      Pattern.compile("<!-- snippet:([a-z]+) -->\n```java\n(.*?)```\n", Pattern.DOTALL);

  /** The snippets of {@code Snippets.java}, by name, indentation removed. */
  static Map<String, String> snippets() throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(SOURCE);
    for (int i = 0; i < lines.size(); i++) {
      Matcher start = Pattern.compile("^(\\s*)// \\[([a-z]+)]$").matcher(lines.get(i));
      if (!start.matches()) {
        continue;
      }
      String indent = start.group(1);
      String name = start.group(2);
      StringBuilder code = new StringBuilder();
      int j = i + 1;
      while (!lines.get(j).equals(indent + "// [/" + name + "]")) {
        String line = lines.get(j);
        code.append(line.startsWith(indent) ? line.substring(indent.length()) : line).append('\n');
        j++;
      }
      out.put(name, code.toString());
      i = j;
    }
    return out;
  }

  /** The marked blocks of {@code doc}, by name. */
  static Map<String, List<String>> blocks(Path doc) throws IOException {
    Map<String, List<String>> out = new LinkedHashMap<>();
    Matcher m = MARKED.matcher(Files.readString(doc));
    while (m.find()) {
      out.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(m.group(2));
    }
    return out;
  }

  @Test
  void everyBlockOfTheClientPageIsCompiledCode() throws IOException {
    Map<String, String> code = snippets();
    assertThat(code).containsOnlyKeys("producer", "consumer");
    Map<String, List<String>> page = blocks(Path.of("docs/client.md"));
    assertThat(page).containsOnlyKeys(code.keySet());
    page.forEach(
        (name, shown) -> assertThat(shown).as(name).containsOnly(code.get(name)).hasSize(1));
  }

  @Test
  void theReadmesProducerIsTheCompiledOne() throws IOException {
    Map<String, List<String>> readme = blocks(Path.of("README.md"));
    assertThat(readme).containsOnlyKeys("producer");
    assertThat(readme.get("producer")).containsExactly(snippets().get("producer"));
    assertThat(snippets().get("producer").lines().count())
        .as("a producer in a dozen lines")
        .isLessThanOrEqualTo(12);
  }
}
