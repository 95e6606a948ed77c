package io.keelson.apiserver.cel;

/**
 * An expression that compiled but failed on this input ({@code no such key}, a division by zero,
 * a result of the wrong type): the message says which, as kube reports it beside the rule.
 */
public final class CelEvaluationError extends Exception {

  public CelEvaluationError(String message, Throwable cause) {
    super(message, cause);
  }
}
