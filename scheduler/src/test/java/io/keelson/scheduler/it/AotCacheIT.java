package io.keelson.scheduler.it;

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
import org.junit.jupiter.api.Test;

/**
 * The launcher's AOT cache for the scheduler (JDK 25+): `./keelson scheduler` creates it on first
 * use (the scheduler's --aot-training run), says so, reuses it afterwards, and the JVM really maps
 * it: started with -XX:AOTMode=on (which exits instead of running without an unusable cache) the
 * scheduler runs. SchedulerIT's clusters run their scheduler with the same cache.
 */
class AotCacheIT {
  private Path root;
  private Path cacheDir;

  @BeforeEach
  void setUp() throws IOException {
    root = KeelsonCluster.checkoutRoot();
    Assumptions.assumeTrue(root != null, "no ./keelson launcher above " + Path.of("").toAbsolutePath());
    Assumptions.assumeTrue(Files.exists(root.resolve("scheduler/target/keelson-scheduler.jar")), "scheduler jar not built");
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
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true);
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

  @Test
  void schedulerCacheIsCreatedOnceAndMapped() throws Exception {
    String keelson = root.resolve("keelson").toString();
    Result first = run(List.of(keelson, "scheduler", "--help"));
    assertThat(first.code()).as(first.out()).isZero();
    assertThat(first.out()).contains("AOT cache for scheduler").contains("created in").contains("--aot-training");

    Result second = run(List.of(keelson, "scheduler", "--help"));
    assertThat(second.code()).as(second.out()).isZero();
    assertThat(second.out()).doesNotContain("AOT cache for scheduler").contains("--aot-training");

    Path aot;
    try (Stream<Path> files = Files.walk(cacheDir)) {
      aot = files.filter(f -> f.toString().endsWith("/scheduler.aot")).findFirst().orElseThrow();
    }
    Path jar = aot.resolveSibling("app/keelson-scheduler.jar");
    List<String> strict = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:AOTMode=on", "-XX:AOTCache=" + aot, "-Xmx768m", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
        "-jar", jar.toString(), "--help"));
    Result mapped = run(strict);
    assertThat(mapped.code()).as("scheduler with -XX:AOTMode=on: " + mapped.out()).isZero();
    assertThat(mapped.out()).contains("--aot-training");

    // KEELSON_AOT=0: the plain fat jar, no cache made
    List<String> off = List.of("env", "KEELSON_AOT=0", keelson, "scheduler", "--help");
    Result plain = run(off);
    assertThat(plain.code()).as(plain.out()).isZero();
    assertThat(plain.out()).doesNotContain("AOT cache for scheduler");
  }
}
