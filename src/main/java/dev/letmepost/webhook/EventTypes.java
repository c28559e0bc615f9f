package dev.letmepost.webhook;

import dev.letmepost.wire.PostEvent;
import java.util.List;

/** The event types an endpoint may subscribe to: every type of {@link PostEvent}, by wire name. */
public final class EventTypes {
  public static final List<String> ALL =
      List.of(
          PostEvent.BATCH_ACCEPTED,
          PostEvent.BATCH_SCHEDULED,
          PostEvent.TARGET_PUBLISHED,
          PostEvent.TARGET_FAILED,
          PostEvent.TARGET_UNKNOWN,
          PostEvent.BATCH_COMPLETED);

  private EventTypes() {}
}
