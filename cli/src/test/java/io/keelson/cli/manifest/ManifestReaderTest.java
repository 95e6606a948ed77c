package io.keelson.cli.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestReaderTest {
  @TempDir Path dir;

  @Test
  void readsMultiDocumentFilesDirectoriesRecursivelyAndStdin() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        # comment only
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        """);
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("sub/b.json"), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\"}}");
    Files.writeString(dir.resolve("notes.txt"), "ignored");
    ManifestReader r = new ManifestReader(new ByteArrayInputStream(
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}}\n".getBytes()));
    List<ManifestReader.Manifest> flat = r.read(List.of(dir.toString()), false);
    assertThat(flat).extracting(m -> m.object().path("metadata").path("name").asString()).containsExactly("shop", "web");
    List<ManifestReader.Manifest> all = r.read(List.of(dir.toString(), "-"), true);
    assertThat(all).extracting(m -> m.object().path("metadata").path("name").asString())
        .containsExactly("shop", "web", "cm", "p");
  }

  @Test
  void rejectsObjectsWithoutKindOrName() {
    assertThatThrownBy(() -> ManifestReader.parse("apiVersion: v1\nkind: Pod\nmetadata: {}\n", "x.yaml", new java.util.ArrayList<>()))
        .hasMessageContaining("no metadata.name");
  }
}
