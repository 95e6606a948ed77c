package io.keelson.apiserver.watch;

import io.keelson.apiserver.status.StatusException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Predicate;
import tools.jackson.databind.node.ObjectNode;

/**
 * One client's watch on a {@link WatchCache}: a bounded queue of the events that pass its filter.
 * A watcher that falls too far behind is ended (the client re-lists), as Kubernetes does, so that
 * one slow client never holds the cache back.
 */
public final class Watcher implements AutoCloseable {

  private static final WatchEvent END = new WatchEvent(WatchEvent.Type.BOOKMARK, null, null, -1);
  /** Put in the queue by the {@link WatchTicker} to wake the waiting thread: never returned. */
  private static final WatchEvent TICK = new WatchEvent(WatchEvent.Type.BOOKMARK, null, null, -2);

  private final Predicate<ObjectNode> filter;
  private final LinkedBlockingQueue<WatchEvent> queue;
  private final WatchCache cache;
  private final java.util.Set<String> indexKeys;
  private volatile StatusException failure;
  private volatile boolean ended;
  private volatile long wakeAt = Long.MAX_VALUE; // for the ticker: when next() must return without an event
  /** Applied to each event as the client takes it (a view's conversion), or null. */
  private volatile java.util.function.UnaryOperator<WatchEvent> convert;

  Watcher(Predicate<ObjectNode> filter, int capacity, WatchCache cache, java.util.Set<String> indexKeys) {
    this.filter = filter;
    this.indexKeys = indexKeys;
    this.queue = new LinkedBlockingQueue<>(capacity);
    this.cache = cache;
  }

  /** Called under the cache lock, in revision order. Translates selector transitions like Kubernetes. */
  void offer(WatchEvent ev) {
    if (ended) return;
    boolean now = ev.type() != WatchEvent.Type.DELETED && filter.test(ev.object());
    boolean before = ev.prev() != null && ev.type() != WatchEvent.Type.ADDED && filter.test(ev.prev());
    WatchEvent out;
    if (ev.type() == WatchEvent.Type.DELETED) {
      if (!filter.test(ev.object())) return;
      out = ev;
    } else if (now && before) {
      out = ev;
    } else if (now) {
      out = new WatchEvent(WatchEvent.Type.ADDED, ev.object(), ev.prev(), ev.revision(), ev.json());
    } else if (before) {
      out = new WatchEvent(WatchEvent.Type.DELETED, ev.object(), ev.prev(), ev.revision(), ev.json());
    } else {
      return;
    }
    if (!queue.offer(out)) {
      terminate(StatusException.gone("watch fell too far behind; restart the watch"));
    }
  }

  /** End the watch; {@code why} (if any) is sent to the client as an ERROR event. */
  void terminate(StatusException why) {
    if (ended) return;
    failure = why;
    ended = true;
    cache.remove(this);
    WatchTicker.remove(this);
    queue.clear();
    queue.offer(END);
  }

  /**
   * Converts every event as it is taken (on the client's thread, not under the cache lock): a
   * view's watch gets the storage's events in the view's shape.
   */
  public void convertEach(java.util.function.UnaryOperator<WatchEvent> convert) {
    this.convert = convert;
  }

  /**
   * The next event, or null once the clock has passed {@code wakeAtMillis} (by at most the
   * {@link WatchTicker}'s period). Waits without a timer of its own, so that an event waking the
   * thread costs no timer cancellation. Returns {@link #isEnd} events when the watch is over.
   */
  public WatchEvent next(long wakeAtMillis) throws InterruptedException {
    WatchEvent ev = queue.poll();
    if (ev == null) {
      if (System.currentTimeMillis() >= wakeAtMillis) return null;
      wakeAt = wakeAtMillis;
      WatchTicker.add(this);
      ev = queue.take();
    }
    return converted(ev);
  }

  /** From the ticker: wakes the waiting thread when its time has come. */
  void wakeIfDue(long nowMillis) {
    if (nowMillis < wakeAt) return;
    wakeAt = Long.MAX_VALUE;
    if (queue.isEmpty()) queue.offer(TICK); // a full queue wakes it anyway
  }

  /** The next event if one is already queued, else null (no waiting). */
  public WatchEvent pollNow() {
    return converted(queue.poll());
  }

  private WatchEvent converted(WatchEvent ev) {
    if (ev == TICK) return null;
    java.util.function.UnaryOperator<WatchEvent> c = convert;
    return ev == null || ev == END || c == null ? ev : c.apply(ev);
  }

  public static boolean isEnd(WatchEvent ev) {
    return ev == END;
  }

  /** Why the watch ended, if the cache ended it. */
  public StatusException failure() {
    return failure;
  }

  /** The index keys it is registered under (see {@link WatchCache#watch}); null: every event. */
  java.util.Set<String> indexKeys() {
    return indexKeys;
  }

  /** The revision the cache has reached (for bookmarks). */
  public long cacheRevision() {
    return cache.revision();
  }

  /** Ends the watch; a thread waiting in {@link #next} gets an {@link #isEnd} event. */
  @Override
  public void close() {
    ended = true;
    cache.remove(this);
    WatchTicker.remove(this);
    queue.offer(END);
  }
}
