package io.keelson.client.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lines come out whole however the stream is chunked. */
class LineSplitterTest {
  final List<String> lines = new ArrayList<>();
  final LineSplitter splitter = new LineSplitter();

  void feed(String chunk) {
    byte[] b = chunk.getBytes(StandardCharsets.UTF_8);
    byte[] padded = new byte[b.length + 7]; // only the first n bytes count
    System.arraycopy(b, 0, padded, 0, b.length);
    splitter.append(padded, b.length, (buf, len) -> lines.add(new String(buf, 0, len, StandardCharsets.UTF_8)));
  }

  @Test
  void linesSplitOverChunksAndSeveralInOneChunk() {
    feed("{\"a\":");
    feed("1}\n{\"b\":2}\n\n{\"c\"");
    assertThat(lines).containsExactly("{\"a\":1}", "{\"b\":2}");
    feed(":3}\n");
    assertThat(lines).containsExactly("{\"a\":1}", "{\"b\":2}", "{\"c\":3}");
  }

  @Test
  void aLineLongerThanTheBuffer() {
    String big = "x".repeat(100_000);
    feed(big.substring(0, 40_000));
    feed(big.substring(40_000) + "\nshort\n");
    assertThat(lines).containsExactly(big, "short");
  }
}
