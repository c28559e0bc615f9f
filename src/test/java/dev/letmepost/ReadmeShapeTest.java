package dev.letmepost;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README stays a manual and each rule has one home in the docs: the README is at most {@value
 * #MAX_README_LINES} lines, the idempotency table stands once (in {@code docs/contract.md}, which
 * the README links), the README shows the test command CI runs, and every Maven profile a doc names
 * ({@code -Pname}) exists in the pom.
 */
class ReadmeShapeTest {
  static final int MAX_README_LINES = 600;

  /** The header row of the idempotency table. */
  static final String IDEMPOTENCY_TABLE_HEADER =
      "| situation | answer on `lmp.post-results` | recorded? |";

  private static final Pattern PROFILE = Pattern.compile("(?<![\\w-])-P([a-z][a-z0-9-]*)");
  private static final Pattern POM_PROFILE =
      Pattern.compile("<profile>\\s*<id>([^<]+)</id>", Pattern.MULTILINE);

  @Test
  void theReadmeIsAtMost600Lines() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("README.md"), StandardCharsets.UTF_8);
    assertThat(lines.size())
        .as("README.md lines (reference material belongs in docs/)")
        .isLessThanOrEqualTo(MAX_README_LINES);
  }

  @Test
  void theIdempotencyTableStandsOnceInContractMdAndTheReadmeLinksIt() throws IOException {
    Path root = Path.of("");
    List<String> places = new ArrayList<>();
    for (Path doc : DocsLinksTest.docs(root)) {
      places.addAll(occurrences(doc, IDEMPOTENCY_TABLE_HEADER));
    }
    assertThat(places)
        .as("the idempotency table's header row in the docs")
        .hasSize(1)
        .allMatch(p -> p.startsWith(root.resolve("docs/contract.md") + ":"));
    assertThat(Files.readString(Path.of("README.md")))
        .contains("](docs/contract.md#the-idempotency-table)");
  }

  @Test
  void aSecondCopyOfTheTableIsFound(@TempDir Path dir) throws IOException {
    Path doc = dir.resolve("a.md");
    Files.writeString(
        doc,
        "# A\n\n"
            + IDEMPOTENCY_TABLE_HEADER
            + "\n|---|---|---|\n\n## Again\n\n  "
            + IDEMPOTENCY_TABLE_HEADER
            + "\n");
    assertThat(occurrences(doc, IDEMPOTENCY_TABLE_HEADER)).containsExactly(doc + ":3", doc + ":8");
  }

  @Test
  void theReadmeShowsTheTestCommandCiRuns() throws IOException {
    List<String> ci = Files.readAllLines(Path.of(".ci/run"), StandardCharsets.UTF_8);
    String command = ci.get(ci.size() - 1).strip();
    assertThat(command).startsWith("./mvnw ");
    assertThat(Files.readString(Path.of("README.md"))).contains("\n" + command + " ");
  }

  @Test
  void everyMavenProfileTheDocsNameExists() throws IOException {
    Set<String> profiles = new TreeSet<>();
    Matcher p = POM_PROFILE.matcher(Files.readString(Path.of("pom.xml")));
    while (p.find()) {
      profiles.add(p.group(1));
    }
    assertThat(profiles).contains("crash", "jmh");

    Set<String> named = new TreeSet<>();
    for (Path doc : DocsLinksTest.docs(Path.of(""))) {
      Matcher m = PROFILE.matcher(Files.readString(doc));
      while (m.find()) {
        named.add(m.group(1));
      }
    }
    assertThat(named).contains("crash");
    assertThat(profiles).as("profiles of pom.xml").containsAll(named);
  }

  /** Where {@code text} stands in {@code doc}, as "file:line", ignoring leading blanks. */
  static List<String> occurrences(Path doc, String text) throws IOException {
    List<String> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().equals(text)) {
        out.add(doc + ":" + (i + 1));
      }
    }
    return out;
  }
}
