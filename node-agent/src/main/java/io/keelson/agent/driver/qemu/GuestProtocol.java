package io.keelson.agent.driver.qemu;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The framed protocol between the qemu driver and the guest init (deploy/vm/guest/keelson-init.c),
 * spoken over one virtio-serial port. Documented in deploy/vm/guest/PROTOCOL.md.
 *
 * <p>A frame is an 11-byte header {@code [0xB5][type][stream id u32 BE][length u32 BE][check]}
 * (check = XOR of the first ten bytes and 0x5A) followed by the payload. The magic byte and check
 * let a reader that connects mid-stream (an agent restart) skip to the next real frame. Control
 * payloads are {@code key=value\0} pairs; keys may repeat (arg, env) and keep their order.
 */
public final class GuestProtocol {
  private GuestProtocol() {}

  static final int MAGIC = 0xB5;
  static final int HEADER = 11;
  static final int MAX_PAYLOAD = 1 << 20;

  // host -> guest
  static final int HELLO = 0x01;
  static final int TASK_START = 0x02;
  static final int SIGNAL = 0x03;
  static final int EXEC_START = 0x04;
  static final int STDIN = 0x05;
  static final int STDIN_EOF = 0x06;
  static final int RESIZE = 0x07;
  static final int TASK_RELEASE = 0x08;
  static final int SHUTDOWN = 0x09;
  static final int POD_CONFIG = 0x0A;
  // guest -> host
  static final int READY = 0x41;
  static final int HELLO_ACK = 0x42;
  static final int STARTED = 0x43;
  static final int START_FAILED = 0x44;
  static final int STDOUT = 0x45;
  static final int STDERR = 0x46;
  static final int EXIT = 0x47;
  static final int TASK_STATE = 0x48;
  static final int RELEASED = 0x4A;
  static final int CONFIGURED = 0x4B;

  /** One decoded frame. */
  record Frame(int type, int stream, byte[] payload) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** The first value of {@code key} in a key=value payload. */
    Optional<String> value(String key) {
      return values(key).stream().findFirst();
    }

    List<String> values(String key) {
      return GuestProtocol.values(payload, key);
    }
  }

  static byte[] encode(int type, int stream, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
    b.put((byte) MAGIC).put((byte) type).putInt(stream).putInt(payload.length);
    byte[] h = b.array();
    int x = 0x5A;
    for (int i = 0; i < 10; i++) {
      x ^= h[i] & 0xff;
    }
    b.put((byte) x).put(payload);
    return b.array();
  }

  /** Builds a key=value\0 payload; a List value repeats its key once per element. */
  static byte[] kv(Map<String, ?> pairs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    pairs.forEach((k, v) -> {
      List<?> items = v instanceof List<?> l ? l : List.of(v);
      for (Object item : items) {
        String s = String.valueOf(item);
        if (s.indexOf('\0') >= 0) {
          throw new IllegalArgumentException(k + " contains a NUL byte");
        }
        out.writeBytes((k + "=" + s).getBytes(StandardCharsets.UTF_8));
        out.write(0);
      }
    });
    return out.toByteArray();
  }

  static List<String> values(byte[] payload, String key) {
    List<String> out = new ArrayList<>();
    String prefix = key + "=";
    int start = 0;
    for (int i = 0; i <= payload.length; i++) {
      if (i == payload.length || payload[i] == 0) {
        if (i > start) {
          String s = new String(payload, start, i - start, StandardCharsets.UTF_8);
          if (s.startsWith(prefix)) {
            out.add(s.substring(prefix.length()));
          }
        }
        start = i + 1;
      }
    }
    return out;
  }

  /**
   * Incremental decoder: feed bytes, take complete frames. Bytes that do not start a valid header
   * are skipped one at a time, which resynchronises after a partial frame.
   */
  static final class Decoder {
    private byte[] buf = new byte[0];
    private int len;
    private long skipped;

    void feed(byte[] data, int off, int n) {
      if (len + n > buf.length) {
        buf = java.util.Arrays.copyOf(buf, Math.max(len + n, buf.length * 2));
      }
      System.arraycopy(data, off, buf, len, n);
      len += n;
    }

    /** The next complete frame, or null if more bytes are needed. */
    Frame next() {
      int off = 0;
      try {
        while (len - off >= HEADER) {
          int x = 0x5A;
          for (int i = 0; i < 10; i++) {
            x ^= buf[off + i] & 0xff;
          }
          int n = ByteBuffer.wrap(buf, off + 6, 4).getInt();
          if ((buf[off] & 0xff) != MAGIC || (buf[off + 10] & 0xff) != x || n < 0 || n > MAX_PAYLOAD) {
            off++;
            skipped++;
            continue;
          }
          if (len - off < HEADER + n) {
            return null;
          }
          int type = buf[off + 1] & 0xff;
          int stream = ByteBuffer.wrap(buf, off + 2, 4).getInt();
          byte[] payload = java.util.Arrays.copyOfRange(buf, off + HEADER, off + HEADER + n);
          off += HEADER + n;
          return new Frame(type, stream, payload);
        }
        return null;
      } finally {
        System.arraycopy(buf, off, buf, 0, len - off);
        len -= off;
      }
    }

    /** Bytes dropped while resynchronising (diagnostics). */
    long skipped() {
      return skipped;
    }
  }
}
