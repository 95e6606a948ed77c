package io.keelson.apiserver.registry;

/**
 * How a write is to be done.
 *
 * @param dryRun run everything but the etcd write ({@code dryRun=All})
 * @param fieldManager who writes (recorded in managedFields); null = derived from the user agent
 * @param subresource null for the object itself, or "status", "finalize", ...
 */
public record WriteOptions(boolean dryRun, String fieldManager, String subresource) {
  public static final WriteOptions DEFAULT = new WriteOptions(false, null, null);

  public static WriteOptions manager(String manager) {
    return new WriteOptions(false, manager, null);
  }

  public WriteOptions withSubresource(String sub) {
    return new WriteOptions(dryRun, fieldManager, sub);
  }

  public String managerOr(String fallback) {
    return fieldManager == null || fieldManager.isBlank() ? fallback : fieldManager;
  }
}
