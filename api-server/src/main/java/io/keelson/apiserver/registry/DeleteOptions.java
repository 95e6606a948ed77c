package io.keelson.apiserver.registry;

/**
 * The parts of a Kubernetes DeleteOptions the api-server acts on.
 *
 * @param gracePeriodSeconds null = the object's own default (pods: terminationGracePeriodSeconds)
 * @param propagationPolicy Background (default), Foreground or Orphan
 * @param preconditionUid delete only this incarnation
 * @param preconditionResourceVersion delete only this version
 */
public record DeleteOptions(Long gracePeriodSeconds, String propagationPolicy, String preconditionUid,
    String preconditionResourceVersion, boolean dryRun) {
  public static final DeleteOptions DEFAULT = new DeleteOptions(null, null, null, null, false);

  public static DeleteOptions now() {
    return new DeleteOptions(0L, null, null, null, false);
  }
}
