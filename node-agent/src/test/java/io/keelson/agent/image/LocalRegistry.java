package io.keelson.agent.image;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;

/** Test fixture: Debian's docker-registry on 127.0.0.1:<free port> with its data in a temp dir. */
public final class LocalRegistry implements AutoCloseable {

  private static final Path BINARY = Path.of("/usr/bin/docker-registry");
  private final Process process;
  private final int port;

  private LocalRegistry(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Why a registry cannot run here, or null. */
  public static String missing() {
    if (!Files.isExecutable(BINARY)) {
      return "no " + BINARY + " (apt-get install docker-registry)";
    }
    if (!Files.isExecutable(Path.of("/usr/bin/skopeo"))) {
      return "no skopeo (apt-get install skopeo)";
    }
    return null;
  }

  public static LocalRegistry start(Path dir) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = dir.resolve("registry.yml");
    Files.writeString(config, """
        version: 0.1
        log: {level: error}
        storage:
          filesystem: {rootdirectory: %s}
        http: {addr: "127.0.0.1:%d"}
        """.formatted(dir.resolve("data"), port));
    Process p = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
    LocalRegistry r = new LocalRegistry(p, port);
    final int fport = port;
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
      try (Socket s = new Socket("127.0.0.1", fport)) {
        return true;
      } catch (IOException e) {
        return false;
      }
    });
    return r;
  }

  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Pushes keelson.local/busybox:{latest,1,2} as ADDRESS/busybox:{latest,1,2}. */
  public void pushBusybox() throws IOException, InterruptedException {
    TestImages.run(TestImages.repoRoot().resolve("deploy/images/build-busybox.sh").toString(),
        "--out", TestImages.busyboxLayout().toString(), "--push", address());
  }

  @Override
  public void close() {
    process.destroy();
  }
}
