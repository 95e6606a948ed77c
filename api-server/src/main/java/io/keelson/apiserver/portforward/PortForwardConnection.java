package io.keelson.apiserver.portforward;

/** One port-forward WebSocket's server side, whichever protocol it speaks. */
interface PortForwardConnection {
  /** The next binary message the client sent. */
  void receive(byte[] message);

  /** The WebSocket is gone (or unusable): every agent call ends. */
  void close();
}
