package dev.letmepost.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PlatformCapabilitiesTest {
  private static List<PublishTask.Media> media(int n) {
    return IntStream.range(0, n)
        .mapToObj(i -> new PublishTask.Media("https://e.com/" + i + ".png", null))
        .toList();
  }

  @Test
  void plainTextIsRefusedNowhere() {
    for (Platform p : Platform.values()) {
      assertThat(p.capabilities().refusal("task t", List.of(), null)).as(p.name()).isEmpty();
    }
  }

  @Test
  void mediaIsRefusedWhereOnlyUploadsGoAndPastTheLimitElsewhere() {
    for (Platform p : Platform.values()) {
      PlatformCapabilities c = p.capabilities();
      if (!c.mediaByUrl()) {
        assertThat(c.refusal("task t", media(1), null))
            .as(p.name())
            .hasValueSatisfying(m -> assertThat(m).startsWith("task t has 1 media URL(s); "));
        continue;
      }
      assertThat(c.refusal("task t", media(c.maxMedia()), null)).as(p.name()).isEmpty();
      assertThat(c.refusal("task t", media(c.maxMedia() + 1), null))
          .as(p.name())
          .hasValueSatisfying(
              m ->
                  assertThat(m).startsWith("task t has " + (c.maxMedia() + 1) + " media URL(s); "));
    }
  }

  @Test
  void firstCommentIsRefusedUnlessSupportedAndBlankCountsAsNone() {
    for (Platform p : Platform.values()) {
      PlatformCapabilities c = p.capabilities();
      assertThat(c.refusal("task t", List.of(), " ")).as(p.name()).isEmpty();
      assertThat(c.refusal("task t", List.of(), "more").isPresent())
          .as(p.name())
          .isEqualTo(!c.firstComment());
    }
    assertThat(Platform.SANDBOX.capabilities().firstComment()).isTrue();
  }

  @Test
  void textLimitAndCountingLiveOnTheCapabilities() {
    assertThat(Platform.TWITTER.textLimit()).isEqualTo(280);
    assertThat(Platform.TWITTER.length("https://example.com/a-long-path")).isEqualTo(23);
    assertThat(Platform.BLUESKY.length("e\u0301")).isEqualTo(1);
    assertThat(Platform.MASTODON.length("e\u0301")).isEqualTo(2);
    for (Platform p : Platform.values()) {
      assertThat(p.textLimit()).isEqualTo(p.capabilities().textLimit());
    }
  }
}
