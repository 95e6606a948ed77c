package io.keelson.apiserver.cel;

/** An expression that does not compile: the message is CEL's own, with the position of each error. */
public final class CelCompileException extends Exception {

  public CelCompileException(String message) {
    super(message);
  }
}
