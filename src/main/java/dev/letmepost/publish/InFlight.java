package dev.letmepost.publish;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tasks a worker holds: each job from its start on its account's lane until its outcome is
 * written, dropped or the task handed over, and among them the finished ones whose outcome is not
 * written yet. Jobs hand their outcomes over from the lane threads; everything else runs on the
 * poll thread.
 */
final class InFlight {
  private static final Logger log = LoggerFactory.getLogger(InFlight.class);

  private final AccountLanes lanes;

  /** By task id: bounded by the worker's maxInFlight, past which it polls no more. */
  private final Map<String, TaskJob> active = new ConcurrentHashMap<>();

  /** Jobs that settled on a lane thread, for the poll thread to take. */
  private final ConcurrentLinkedQueue<TaskJob> finished = new ConcurrentLinkedQueue<>();

  /** Poll thread only: finished jobs whose outcome no committed transaction holds yet. */
  private final Map<String, TaskJob> unwritten = new LinkedHashMap<>();

  InFlight(AccountLanes lanes) {
    this.lanes = Objects.requireNonNull(lanes, "lanes");
  }

  /** Queues {@code job} on its account's lane, unless its task is in progress here already. */
  void start(TaskJob job) {
    if (active.putIfAbsent(job.taskId(), job) != null) {
      log.warn("task {} is already in progress here; not started twice", job.taskId());
      return;
    }
    lanes.submit(job.run.task().accountId(), job);
  }

  boolean holds(String taskId) {
    return active.containsKey(taskId);
  }

  int size() {
    return active.size();
  }

  boolean isEmpty() {
    return active.isEmpty();
  }

  /** The jobs held for tasks of the given publish partitions. */
  List<TaskJob> of(Set<Integer> partitions) {
    return active.values().stream().filter(j -> partitions.contains(j.run.partition())).toList();
  }

  /** Takes a job that settled with its outcome; called by the job on its lane thread. */
  void finished(TaskJob job) {
    finished.add(job);
  }

  /** The finished jobs whose outcome is not written yet, oldest first, after taking new ones. */
  List<TaskJob> unwritten() {
    for (TaskJob j; (j = finished.poll()) != null; ) {
      unwritten.putIfAbsent(j.taskId(), j);
    }
    return new ArrayList<>(unwritten.values());
  }

  /**
   * Drops the unwritten outcomes of the given publish partitions, after taking new ones; answers
   * how many.
   */
  int dropUnwritten(Set<Integer> partitions) {
    unwritten();
    int dropped = 0;
    for (Iterator<TaskJob> it = unwritten.values().iterator(); it.hasNext(); ) {
      if (partitions.contains(it.next().run.partition())) {
        it.remove();
        dropped++;
      }
    }
    return dropped;
  }

  /** Lets go of {@code job}: its outcome was written or dropped, or its task handed over. */
  void release(TaskJob job) {
    unwritten.remove(job.taskId(), job);
    active.remove(job.taskId(), job);
  }
}
