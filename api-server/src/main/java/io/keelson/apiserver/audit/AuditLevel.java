package io.keelson.apiserver.audit;

/**
 * How much of a request an audit event records (audit.k8s.io/v1 Level), in increasing order: None
 * logs nothing; Metadata who did what to which object and the answer's code; Request also the
 * request's body; RequestResponse also the response's body.
 */
public enum AuditLevel {
  None, Metadata, Request, RequestResponse;

  public boolean atLeast(AuditLevel other) {
    return compareTo(other) >= 0;
  }
}
