package io.keelson.apiserver.registry;

import io.keelson.apiserver.auth.UserInfo;

/**
 * How a write is to be done.
 *
 * @param dryRun run everything but the etcd write ({@code dryRun=All})
 * @param fieldManager who writes (recorded in managedFields); null = derived from the user agent
 * @param subresource null for the object itself, or "status", "finalize", ...
 * @param applied the write is a server-side apply, whose result already carries the applier's
 *     managedFields: the write path records no Update entry for it
 * @param requester the user whose request this is, for checks that depend on who writes (RBAC's
 *     escalation check); null for the api-server's own writes
 */
public record WriteOptions(boolean dryRun, String fieldManager, String subresource, boolean applied, UserInfo requester) {
  public static final WriteOptions DEFAULT = new WriteOptions(false, null, null);

  public WriteOptions(boolean dryRun, String fieldManager, String subresource) {
    this(dryRun, fieldManager, subresource, false, null);
  }

  /** The same options for a server-side apply. */
  public WriteOptions asApply() {
    return new WriteOptions(dryRun, fieldManager, subresource, true, requester);
  }

  public static WriteOptions manager(String manager) {
    return new WriteOptions(false, manager, null);
  }

  public WriteOptions withSubresource(String sub) {
    return new WriteOptions(dryRun, fieldManager, sub, applied, requester);
  }

  public WriteOptions by(UserInfo user) {
    return new WriteOptions(dryRun, fieldManager, subresource, applied, user);
  }

  public String managerOr(String fallback) {
    return fieldManager == null || fieldManager.isBlank() ? fallback : fieldManager;
  }
}
