package io.keelson.apiserver.spdy;

import java.util.Arrays;
import java.util.Map;

/**
 * The SPDY/3.1 frames a port-forward session exchanges, as plain values (no Netty buffers to
 * release). Header names are lower case, as SPDY/3 requires on the wire.
 */
public sealed interface SpdyFrame {

  /** A peer opens a stream (kubectl opens one per error and data stream of a connection). */
  record SynStream(int streamId, Map<String, String> headers, boolean fin) implements SpdyFrame {}

  /** The answer accepting a stream; kubectl waits for it before using the stream. */
  record SynReply(int streamId, Map<String, String> headers, boolean fin) implements SpdyFrame {}

  /** Bytes on a stream; {@code fin} half-closes the sender's side. */
  record Data(int streamId, byte[] data, boolean fin) implements SpdyFrame {
    @Override
    public boolean equals(Object o) {
      return o instanceof Data d && d.streamId == streamId && d.fin == fin && Arrays.equals(d.data, data);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * streamId + Arrays.hashCode(data)) + (fin ? 1 : 0);
    }

    @Override
    public String toString() {
      return "Data[streamId=" + streamId + ", " + data.length + " bytes, fin=" + fin + "]";
    }
  }

  /** Aborts a stream in both directions; status codes as in the SPDY/3 draft (5 = CANCEL). */
  record RstStream(int streamId, int status) implements SpdyFrame {
    public static final int PROTOCOL_ERROR = 1;
    public static final int INVALID_STREAM = 2;
    public static final int CANCEL = 5;
  }

  /** A keepalive; the receiver echoes a client-initiated (odd) id back. */
  record Ping(int id) implements SpdyFrame {}

  /** The peer will open no more streams after {@code lastGoodStreamId}. */
  record GoAway(int lastGoodStreamId, int status) implements SpdyFrame {}

  /** SETTINGS, WINDOW_UPDATE, HEADERS: decoded but of no use to port-forward. */
  record Other(String kind) implements SpdyFrame {}
}
