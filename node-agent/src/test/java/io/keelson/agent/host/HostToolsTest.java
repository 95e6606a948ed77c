package io.keelson.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class HostToolsTest {

  @Test
  void returnsTheToolsOutputTrimmed() throws IOException {
    assertEquals("out\nerr", HostTools.run("sh", "-c", "echo out; echo err >&2"));
  }

  @Test
  void aFailingToolThrowsWithTheCommandAndWhatItSaid() {
    IOException e = assertThrows(IOException.class, () -> HostTools.run("sh", "-c", "echo no such device >&2; exit 3"));
    assertTrue(e.getMessage().startsWith("sh -c "), e.getMessage());
    assertTrue(e.getMessage().endsWith(": no such device"), e.getMessage());
  }

  @Test
  void aMissingToolThrows() {
    assertThrows(IOException.class, () -> HostTools.run("/nonexistent/keelson-tool"));
  }
}
