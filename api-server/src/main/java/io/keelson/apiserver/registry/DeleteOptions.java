package io.keelson.apiserver.registry;

/**
 * The parts of a Kubernetes DeleteOptions the api-server acts on.
 *
 * @param gracePeriodSeconds null = the object's own default (pods: terminationGracePeriodSeconds)
 * @param propagationPolicy Background (default), Foreground or Orphan
 * @param preconditionUid delete only this incarnation
 * @param preconditionResourceVersion delete only this version
 * @param requester who deletes (what admission webhooks are told); null for the api-server's own deletes
 */
public record DeleteOptions(Long gracePeriodSeconds, String propagationPolicy, String preconditionUid,
    String preconditionResourceVersion, boolean dryRun, io.keelson.apiserver.auth.UserInfo requester) {
  public static final DeleteOptions DEFAULT = new DeleteOptions(null, null, null, null, false);

  public DeleteOptions(Long gracePeriodSeconds, String propagationPolicy, String preconditionUid, String preconditionResourceVersion,
      boolean dryRun) {
    this(gracePeriodSeconds, propagationPolicy, preconditionUid, preconditionResourceVersion, dryRun, null);
  }

  /** The same options for a request of {@code user}. */
  public DeleteOptions by(io.keelson.apiserver.auth.UserInfo user) {
    return new DeleteOptions(gracePeriodSeconds, propagationPolicy, preconditionUid, preconditionResourceVersion, dryRun, user);
  }

  public static DeleteOptions now() {
    return new DeleteOptions(0L, null, null, null, false);
  }
}
