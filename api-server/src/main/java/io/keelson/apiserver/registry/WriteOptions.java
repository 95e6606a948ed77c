package io.keelson.apiserver.registry;

/**
 * How a write is to be done.
 *
 * @param dryRun run everything but the etcd write ({@code dryRun=All})
 * @param fieldManager who writes (recorded in managedFields); null = derived from the user agent
 * @param subresource null for the object itself, or "status", "finalize", ...
 * @param applied the write is a server-side apply, whose result already carries the applier's
 *     managedFields: the write path records no Update entry for it
 */
public record WriteOptions(boolean dryRun, String fieldManager, String subresource, boolean applied) {
  public static final WriteOptions DEFAULT = new WriteOptions(false, null, null);

  public WriteOptions(boolean dryRun, String fieldManager, String subresource) {
    this(dryRun, fieldManager, subresource, false);
  }

  /** The same options for a server-side apply. */
  public WriteOptions asApply() {
    return new WriteOptions(dryRun, fieldManager, subresource, true);
  }

  public static WriteOptions manager(String manager) {
    return new WriteOptions(false, manager, null);
  }

  public WriteOptions withSubresource(String sub) {
    return new WriteOptions(dryRun, fieldManager, sub, applied);
  }

  public String managerOr(String fallback) {
    return fieldManager == null || fieldManager.isBlank() ? fallback : fieldManager;
  }
}
