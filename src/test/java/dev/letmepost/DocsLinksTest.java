package dev.letmepost;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every relative link in the project's Markdown docs (the README, every page of {@code docs/} and
 * {@code topology-docs/README.md}) resolves: the file or directory exists and an {@code #anchor}
 * into a Markdown file names one of its headings, as GitHub derives heading anchors ({@link
 * #anchor}). Absolute links ({@code https:}, {@code mailto:} …) are not followed; links inside code
 * spans and fenced code blocks are not links. A link's text stays on one line, so that the
 * line-by-line check sees every link.
 */
class DocsLinksTest {
  /** The docs checked, relative to the Maven working directory (the project root). */
  static List<Path> docs(Path root) throws IOException {
    List<Path> docs = new ArrayList<>();
    docs.add(root.resolve("README.md"));
    Path dir = root.resolve("docs");
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
      }
    }
    docs.add(root.resolve("topology-docs/README.md"));
    return docs;
  }

  @Test
  void everyRelativeLinkInTheDocsResolves() throws IOException {
    Path root = Path.of("");
    List<Path> docs = docs(root);
    assertThat(docs).contains(root.resolve("docs/contract.md"));

    List<String> broken = new ArrayList<>();
    for (Path doc : docs) {
      assertThat(doc).as("checked doc").exists();
      broken.addAll(brokenLinks(doc));
      broken.addAll(splitLinks(doc));
    }

    assertThat(broken).as("relative links that do not resolve").isEmpty();
  }

  @Test
  void aMissingFileAndAnUnknownAnchorAreReported(@TempDir Path root) throws IOException {
    write(
        root.resolve("README.md"),
        """
        # Project

        See [the guide](docs/guide.md), [its setup](docs/guide.md#setting-up-lmp-serve),
        [a section here](#project), [the docs folder](docs/) and [GitHub](https://github.com).
        Broken: [gone](docs/gone.md) and [no such part](docs/guide.md#tear-down).
        Also broken: [here](#nowhere), and a reference [ref].

        [ref]: ./docs/missing%20file.md
        """);
    write(
        root.resolve("docs/guide.md"),
        """
        # Guide

        ## Setting up `./lmp serve`

        Back to [the README](../README.md#project).

        ```sh
        echo "[not a link](nowhere.md)"
        ```

        Nor is `[this](nowhere.md)` one.
        """);

    assertThat(brokenLinks(root.resolve("README.md")))
        .containsExactly(
            root.resolve("README.md") + ":5: docs/gone.md: no such file or directory",
            root.resolve("README.md")
                + ":5: docs/guide.md#tear-down: no heading with anchor #tear-down in "
                + root.resolve("docs/guide.md"),
            root.resolve("README.md")
                + ":6: #nowhere: no heading with anchor #nowhere in "
                + root.resolve("README.md"),
            root.resolve("README.md") + ":8: ./docs/missing%20file.md: no such file or directory");
    assertThat(brokenLinks(root.resolve("docs/guide.md"))).isEmpty();
  }

  @Test
  void aLinkWhoseTextRunsOverALineBreakIsReported(@TempDir Path root) throws IOException {
    Path doc = root.resolve("a.md");
    write(
        doc,
        """
        # A

        See [the
        guide](gone.md#nowhere) and [this](#a).

        ```
        [not
        a link](x.md)
        ```
        """);

    assertThat(brokenLinks(doc)).isEmpty();
    assertThat(splitLinks(doc))
        .containsExactly(doc + ":3: link text runs over a line break: [the guide](");
  }

  @Test
  void anchorsAreDerivedFromHeadingsAsGitHubDoes() {
    assertThat(anchor("The contract")).isEqualTo("the-contract");
    assertThat(anchor("Configuration (`./lmp serve`)")).isEqualTo("configuration-lmp-serve");
    assertThat(anchor("Limits, lag and failures: what an operator sees"))
        .isEqualTo("limits-lag-and-failures-what-an-operator-sees");
    assertThat(anchor("`./lmp gateway` and how the gateway scales"))
        .isEqualTo("lmp-gateway-and-how-the-gateway-scales");
    assertThat(anchor("Publishers: each target at most once"))
        .isEqualTo("publishers-each-target-at-most-once");
    assertThat(anchor("The [envelope](x.md) — **bytes**")).isEqualTo("the-envelope--bytes");
    assertThat(anchor("Sub-topology 0: global store accounts"))
        .isEqualTo("sub-topology-0-global-store-accounts");
  }

  @Test
  void repeatedHeadingsGetNumberedAnchors(@TempDir Path root) throws IOException {
    Path doc = root.resolve("a.md");
    write(
        doc,
        """
        ## Options
        ## Options
        Options
        -------
        Links: [1](#options), [2](#options-1), [3](#options-2), [4](#options-3).
        """);

    assertThat(headingAnchors(doc)).containsExactly("options", "options-1", "options-2");
    assertThat(brokenLinks(doc))
        .containsExactly(doc + ":5: #options-3: no heading with anchor #options-3 in " + doc);
  }

  // ---------------------------------------------------------------- the checker

  /** Inline links and images: [text](target "title"), one level of brackets inside the text. */
  private static final Pattern INLINE =
      Pattern.compile(
          "!?\\[(?:[^\\[\\]]|\\[[^\\]]*\\])*\\]\\(\\s*(<[^>]*>|[^)\\s]+)(?:\\s+\"[^\"]*\")?\\s*\\)");

  /** Reference definitions: [label]: target. */
  private static final Pattern REFERENCE = Pattern.compile("^ {0,3}\\[[^\\]]+\\]:\\s*(\\S+)");

  private static final Pattern FENCE = Pattern.compile("^ {0,3}(```|~~~)");
  private static final Pattern ATX = Pattern.compile("^ {0,3}(#{1,6})\\s+(.*?)(?:\\s+#+)?\\s*$");
  private static final Pattern SETEXT = Pattern.compile("^ {0,3}(=+|-+)\\s*$");
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
  private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.+?)\\1");
  private static final Pattern HTML_ANCHOR =
      Pattern.compile("<a\\s+(?:[^>]*\\s)?(?:name|id)=\"([^\"]+)\"", Pattern.CASE_INSENSITIVE);

  /** Every relative link of {@code doc} that does not resolve, as "file:line: target: problem". */
  static List<String> brokenLinks(Path doc) {
    List<String> broken = new ArrayList<>();
    List<String> lines = read(doc);
    Map<Path, Set<String>> anchors = new HashMap<>();
    boolean inFence = false;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (FENCE.matcher(line).find()) {
        inFence = !inFence;
        continue;
      }
      if (inFence) {
        continue;
      }
      String text = CODE_SPAN.matcher(line).replaceAll("");
      List<String> targets = new ArrayList<>();
      Matcher inline = INLINE.matcher(text);
      while (inline.find()) {
        targets.add(inline.group(1));
      }
      Matcher reference = REFERENCE.matcher(text);
      if (reference.find()) {
        targets.add(reference.group(1));
      }
      for (String target : targets) {
        String problem = problem(doc, target, anchors);
        if (problem != null) {
          broken.add(doc + ":" + (i + 1) + ": " + target + ": " + problem);
        }
      }
    }
    return broken;
  }

  /** Why {@code target}, a link in {@code doc}, does not resolve; null when it does. */
  private static String problem(Path doc, String target, Map<Path, Set<String>> anchors) {
    String link = target.startsWith("<") ? target.substring(1, target.length() - 1) : target;
    if (SCHEME.matcher(link).find() || link.startsWith("//")) {
      return null;
    }
    int hash = link.indexOf('#');
    String path = hash < 0 ? link : link.substring(0, hash);
    String fragment = hash < 0 ? null : link.substring(hash + 1);
    Path file = doc;
    if (!path.isEmpty()) {
      String decoded = URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
      file =
          (decoded.startsWith("/") ? Path.of("") : parent(doc))
              .resolve(decoded.replaceFirst("^/+", ""))
              .normalize();
      if (!Files.exists(file)) {
        return "no such file or directory";
      }
    }
    if (fragment == null || fragment.isEmpty() || !file.toString().endsWith(".md")) {
      return null;
    }
    String wanted = URLDecoder.decode(fragment, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    if (!anchors.computeIfAbsent(file, DocsLinksTest::headingAnchors).contains(wanted)) {
      return "no heading with anchor #" + fragment + " in " + file;
    }
    return null;
  }

  private static Path parent(Path doc) {
    Path parent = doc.getParent();
    return parent == null ? Path.of("") : parent;
  }

  /** The start of a link whose text runs over a line break: [text(newline)text]( */
  private static final Pattern SPLIT_LINK =
      Pattern.compile("\\[[^\\]\\[\\n]*\\n[^\\]\\[\\n]*\\]\\(");

  /**
   * The links of {@code doc} whose text runs over a line break, as "file:line: problem": {@link
   * #brokenLinks} reads line by line and would not see them.
   */
  static List<String> splitLinks(Path doc) {
    StringBuilder text = new StringBuilder();
    boolean inFence = false;
    for (String line : read(doc)) {
      if (FENCE.matcher(line).find()) {
        inFence = !inFence;
      } else if (!inFence) {
        text.append(CODE_SPAN.matcher(line).replaceAll(""));
      }
      text.append('\n');
    }
    List<String> split = new ArrayList<>();
    Matcher m = SPLIT_LINK.matcher(text);
    while (m.find()) {
      long line = text.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
      split.add(
          doc + ":" + line + ": link text runs over a line break: " + m.group().replace('\n', ' '));
    }
    return split;
  }

  /** The anchors GitHub gives the headings of {@code doc} (and its HTML anchors), in order. */
  static Set<String> headingAnchors(Path doc) {
    Set<String> anchors = new LinkedHashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    List<String> lines = read(doc);
    boolean inFence = false;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (FENCE.matcher(line).find()) {
        inFence = !inFence;
        continue;
      }
      if (inFence) {
        continue;
      }
      Matcher html = HTML_ANCHOR.matcher(line);
      while (html.find()) {
        anchors.add(html.group(1).toLowerCase(Locale.ROOT));
      }
      String heading = null;
      Matcher atx = ATX.matcher(line);
      if (atx.matches()) {
        heading = atx.group(2);
      } else if (i + 1 < lines.size()
          && !line.isBlank()
          && !line.contains("|")
          && !ATX.matcher(line).matches()
          && SETEXT.matcher(lines.get(i + 1)).matches()) {
        heading = line.trim();
        i++;
      }
      if (heading != null) {
        String base = anchor(heading);
        int n = seen.merge(base, 1, Integer::sum) - 1;
        anchors.add(n == 0 ? base : base + "-" + n);
      }
    }
    return anchors;
  }

  /**
   * The anchor GitHub derives from a heading: its rendered text (code spans keep their content,
   * links their text; emphasis markers and HTML tags go), lower-cased, every character that is not
   * a letter, mark, digit, connector, space or hyphen dropped, each space then a hyphen.
   */
  static String anchor(String heading) {
    String text = heading.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1");
    text = text.replaceAll("<[^>]+>", "").replace("`", "").replace("*", "");
    text = text.trim().toLowerCase(Locale.ROOT);
    text = text.replaceAll("[^\\p{L}\\p{M}\\p{N}\\p{Pc} -]", "");
    return text.replace(' ', '-');
  }

  private static List<String> read(Path doc) {
    try {
      return Files.readAllLines(doc, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
