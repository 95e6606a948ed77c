package io.keelson.agent.driver;

/** A driver operation failed; the message is shown to users (pod events, container state reasons). */
public class DriverException extends Exception {
  private final String reason;

  public DriverException(String message) {
    this("RunContainerError", message, null);
  }

  public DriverException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** A Kubernetes-style reason such as "ErrImagePull", "CreateContainerError", "RunContainerError". */
  public String reason() {
    return reason;
  }
}
