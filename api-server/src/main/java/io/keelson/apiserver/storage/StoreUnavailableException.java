package io.keelson.apiserver.storage;

/** etcd could not be reached or did not answer in time; clients see 503 and retry. */
public class StoreUnavailableException extends Exception {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
