package io.keelson.apiserver.audit;

/**
 * Where in its handling a request was when an audit event was written (audit.k8s.io/v1 Stage):
 * RequestReceived before anything is done, ResponseStarted when a long-running request (watch,
 * exec, logs, port-forward) has sent its headers, ResponseComplete when the answer is done, Panic
 * when handling failed unexpectedly.
 */
public enum AuditStage {
  RequestReceived, ResponseStarted, ResponseComplete, Panic
}
