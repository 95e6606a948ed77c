package io.keelson.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The launcher's AOT caches (JDK 25+), one case per component that has one (the node agent's is the
 * hollow agent's): `./keelson COMMAND`
 * creates the component's cache on first use (its --aot-training run), says so, reuses it
 * afterwards, and the JVM really maps it: started with -XX:AOTMode=on (which exits instead of
 * running without a usable cache) and the launcher's JVM flags for it, the component runs.
 * KEELSON_AOT=0 starts it without a cache. `./keelson up` starts every cluster component this way.
 */
class AotCacheIT {
  private Path cacheDir;

  @BeforeEach
  void setUp() throws IOException {
    Assumptions.assumeTrue(Files.isExecutable(KeelsonCluster.HOME.resolve("keelson")), "no ./keelson launcher in " + KeelsonCluster.HOME);
    Assumptions.assumeTrue(Runtime.version().feature() >= 25, "AOT cache needs JDK 25+, this is " + Runtime.version());
    cacheDir = Files.createTempDirectory("keelson-aot-it");
  }

  @AfterEach
  void tearDown() throws IOException {
    if (cacheDir != null) {
      try (Stream<Path> files = Files.walk(cacheDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  record Result(int code, String out) {}

  private Result run(List<String> cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(KeelsonCluster.HOME.toFile()).redirectErrorStream(true);
    pb.environment().put("KEELSON_AOT_DIR", cacheDir.toString());
    pb.environment().put("KEELSON_NO_BUILD", "1");
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().remove("KEELSON_AOT");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, "timeout");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "scheduler, scheduler, -Xmx2g -XX:+UseSerialGC",
    "server, api-server, -Xmx2g -XX:+UseParallelGC",
    "controller-manager, controller-manager, -Xmx2g -XX:+UseSerialGC",
    "agent --hollow-nodes 1, node-agent, -Xmx2g -XX:+UseParallelGC",
  })
  void cacheIsCreatedOnceAndMapped(String command, String module, String jvmFlags) throws Exception {
    Assumptions.assumeTrue(Files.exists(KeelsonCluster.HOME.resolve(module + "/target/keelson-" + module + ".jar")), module + " jar not built");
    String keelson = KeelsonCluster.HOME.resolve("keelson").toString();
    List<String> launch = new ArrayList<>(List.of(keelson));
    launch.addAll(List.of(command.split(" ")));
    launch.add("--help");
    Result first = run(launch);
    assertThat(first.code()).as(first.out()).isZero();
    assertThat(first.out()).as(log(module)).contains("AOT cache for " + module).contains("created in").contains("--aot-training");

    Result second = run(launch);
    assertThat(second.code()).as(second.out()).isZero();
    assertThat(second.out()).doesNotContain("AOT cache for " + module).contains("--aot-training");

    Path aot;
    try (Stream<Path> files = Files.walk(cacheDir)) {
      aot = files.filter(f -> f.toString().endsWith("/" + module + ".aot")).findFirst().orElseThrow();
    }
    Path jar = aot.resolveSibling("app/keelson-" + module + ".jar");
    List<String> strict = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:AOTMode=on", "-XX:AOTCache=" + aot));
    strict.addAll(List.of(jvmFlags.split(" ")));
    strict.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "--help"));
    Result mapped = run(strict);
    assertThat(mapped.code()).as(module + " with -XX:AOTMode=on: " + mapped.out()).isZero();
    assertThat(mapped.out()).contains("--aot-training");

    // KEELSON_AOT=0: the plain fat jar, no cache made
    List<String> off = new ArrayList<>(List.of("env", "KEELSON_AOT=0"));
    off.addAll(launch);
    Result plain = run(off);
    assertThat(plain.code()).as(plain.out()).isZero();
    assertThat(plain.out()).doesNotContain("AOT cache for " + module);
  }

  /** The training run's log, for a failure message. */
  private String log(String module) {
    try (Stream<Path> files = Files.list(cacheDir)) {
      StringBuilder b = new StringBuilder();
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith(module) && f.toString().endsWith(".log")).toList()) {
        List<String> lines = Files.readAllLines(f);
        b.append(f).append(":\n").append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
      }
      return b.toString();
    } catch (IOException e) {
      return "no training log: " + e;
    }
  }
}
