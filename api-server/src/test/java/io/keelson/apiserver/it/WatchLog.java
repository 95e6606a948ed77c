package io.keelson.apiserver.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The events of one watch stream, each kept as the line its describer makes of it; see {@link TestCluster#watch}. */
public final class WatchLog implements AutoCloseable {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final InputStream body;
  private final List<String> seen = new ArrayList<>();
  private final Thread reader;

  WatchLog(InputStream body, Function<JsonNode, String> describe) {
    this.body = body;
    this.reader = Thread.ofVirtual().start(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          String event = describe.apply(JSON.readTree(line));
          synchronized (seen) {
            seen.add(event);
          }
        }
      } catch (Exception ignored) {
        // the watch ends with the test
      }
    });
  }

  /** Whether every one of these lines has been seen (for an await). */
  public boolean sawAll(String... events) {
    synchronized (seen) {
      return seen.containsAll(List.of(events));
    }
  }

  @Override
  public void close() throws IOException {
    reader.interrupt();
    body.close();
  }
}
