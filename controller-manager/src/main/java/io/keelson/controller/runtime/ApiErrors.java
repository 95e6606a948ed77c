package io.keelson.controller.runtime;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** How a failed API call reads in events and conditions: the server's own Status message, as kube's controllers print it. */
public final class ApiErrors {

  private ApiErrors() {}

  /** {@code pods "x" is forbidden: exceeded quota: ...} rather than fabric8's "Failure executing: POST at: ..." wrapper. */
  public static String message(Exception e) {
    if (e instanceof KubernetesClientException k && k.getStatus() != null && k.getStatus().getMessage() != null) return k.getStatus().getMessage();
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }
}
