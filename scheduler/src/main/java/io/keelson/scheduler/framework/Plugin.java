package io.keelson.scheduler.framework;

/** A scheduling plugin; it implements one or more extension-point interfaces beside this one. */
public interface Plugin {
  String name();

  /** Builds a plugin from the framework handle (shared listers, API access, config). */
  @FunctionalInterface
  interface Factory {
    Plugin create(Handle handle);
  }
}
