package dev.letmepost.ledger;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a processor's store writes and forwards go: straight through ({@link #immediate()}), or
 * held until the decision that made them is complete and then applied in order, or dropped whole
 * ({@link #held(Fault)}).
 *
 * <p>A decision on a command ({@link DecideRequest}, {@link DecideAction}) runs in a Kafka Streams
 * transaction that commits whatever reached the stores and the record collector, also when the
 * decision then throws and is answered {@code 500 internal_error}: the processing exception handler
 * continues, it does not abort. Holding the effects makes that answer true ("nothing was recorded
 * or published"): a decision only reads the stores and queues what it would write, and {@link
 * #apply()} runs the queue once the decision returned; an exception drops it ({@link #drop()}), so
 * the 500 is all that is written, and the client's retry with the same key is decided afresh.
 *
 * <p>Applying runs store puts and forwards only; should one of them throw (a store or serializer
 * failure, not a decision), the exception propagates to Kafka Streams like any other failure of the
 * task, rather than being answered as a decision's.
 *
 * <p>A decision reads before it writes (the live record, the batch, a free window time), never what
 * it queued itself, so holding changes nothing it decides.
 *
 * <p>Bound: one decision holds its replay record and index writes (a handful), one task per target
 * and one event per target ({@link dev.letmepost.command.Preflight#MAX_TARGETS} each), a few batch
 * events, and one answer per waiter ({@code --max-waiters}); it is cleared after every command.
 */
final class Effects {
  /** A test seam: called before an effect is held, with how many are held already. */
  @FunctionalInterface
  interface Fault {
    Fault NONE = held -> {};

    void beforeHolding(int held);
  }

  private final boolean holding;
  private final Fault fault;
  private final List<Runnable> held = new ArrayList<>();

  private Effects(boolean holding, Fault fault) {
    this.holding = holding;
    this.fault = fault;
  }

  /** Effects that take place at once (a processor whose every move stands alone). */
  static Effects immediate() {
    return new Effects(false, Fault.NONE);
  }

  /** Effects held until {@link #apply()}. */
  static Effects held(Fault fault) {
    return new Effects(true, fault);
  }

  /** Runs {@code effect} now, or holds it. */
  void add(Runnable effect) {
    if (!holding) {
      effect.run();
      return;
    }
    fault.beforeHolding(held.size());
    held.add(effect);
  }

  /** Applies every held effect, in the order they were added, and forgets them. */
  void apply() {
    List<Runnable> todo = List.copyOf(held);
    held.clear();
    for (Runnable effect : todo) {
      effect.run();
    }
  }

  /** Forgets every held effect: none of them takes place. */
  void drop() {
    held.clear();
  }

  /** How many effects are held (tests). */
  int size() {
    return held.size();
  }
}
