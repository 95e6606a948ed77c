package io.keelson.cli.cluster;

/** A failed API call, carrying the HTTP code and the server's Status reason and message. */
public final class ApiException extends RuntimeException {
  private final int code;
  private final String reason;

  public ApiException(int code, String reason, String message) {
    super(message);
    this.code = code;
    this.reason = reason;
  }

  public int code() {
    return code;
  }

  public String reason() {
    return reason;
  }

  public boolean notFound() {
    return code == 404;
  }
}
