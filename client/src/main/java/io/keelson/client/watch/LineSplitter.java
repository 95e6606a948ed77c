package io.keelson.client.watch;

import java.util.Arrays;

/**
 * Splits a byte stream (a watch answer: one JSON event per line) into lines without decoding it,
 * so that each event can be decoded straight from its bytes. A line may arrive over several
 * chunks, and a chunk may hold several lines. Empty lines are skipped. Not thread-safe: one per
 * stream.
 */
public final class LineSplitter {
  /** Receives each complete line; the buffer is reused once the call returns. */
  public interface Sink {
    void line(byte[] buf, int len);
  }

  private byte[] buf = new byte[16 * 1024];
  private int len;

  /** Feeds the first {@code n} bytes of {@code in}, handing every line it completes to {@code sink}. */
  public void append(byte[] in, int n, Sink sink) {
    int start = 0;
    for (int i = 0; i < n; i++) {
      if (in[i] != '\n') {
        continue;
      }
      add(in, start, i - start);
      if (len > 0) {
        sink.line(buf, len);
      }
      len = 0;
      start = i + 1;
    }
    add(in, start, n - start);
  }

  private void add(byte[] in, int from, int count) {
    if (count <= 0) {
      return;
    }
    if (len + count > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + count));
    }
    System.arraycopy(in, from, buf, len, count);
    len += count;
  }
}
