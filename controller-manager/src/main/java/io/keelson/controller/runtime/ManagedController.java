package io.keelson.controller.runtime;

import java.util.List;

/**
 * A controller as the manager runs it: built against shared informers (registering its handlers
 * and indexes), then started once the caches are synced, stopped when leadership is lost.
 */
public interface ManagedController {
  /** The work-queue controllers inside (for workers and metrics). */
  List<Controller> controllers();

  /** Called after informers are synced, before workers start: periodic loops go here. */
  default void start() {}

  default void stop() {}
}
