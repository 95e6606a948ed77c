package io.keelson.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerApplierTest {

  @TempDir Path root;

  /** A tiny layer builder: file "path=content", dir "path/", symlink "path->target", hardlink "path=>target". */
  static byte[] layer(boolean gzip, String... entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (var out = gzip ? new GZIPOutputStream(bytes) : bytes;
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (String e : entries) {
        TarArchiveEntry entry;
        byte[] content = new byte[0];
        if (e.contains("->")) {
          String[] p = e.split("->");
          entry = new TarArchiveEntry(p[0], TarConstants.LF_SYMLINK);
          entry.setLinkName(p[1]);
        } else if (e.contains("=>")) {
          String[] p = e.split("=>");
          entry = new TarArchiveEntry(p[0], TarConstants.LF_LINK);
          entry.setLinkName(p[1]);
        } else if (e.endsWith("/")) {
          entry = new TarArchiveEntry(e);
          entry.setMode(040755);
        } else {
          String[] p = e.split("=", 2);
          entry = new TarArchiveEntry(p[0]);
          content = (p.length > 1 ? p[1] : "").getBytes(StandardCharsets.UTF_8);
          entry.setSize(content.length);
          entry.setMode(0100644);
        }
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  private void apply(boolean gzip, String... entries) throws IOException {
    new LayerApplier(root, false).apply(new ByteArrayInputStream(layer(gzip, entries)));
  }

  @Test
  void laterLayersReplaceFilesAndWhiteoutsDelete() throws IOException {
    apply(true, "etc/", "etc/a=1", "etc/b=2", "bin/", "bin/sh=shell");
    apply(false, "etc/a=changed", "etc/.wh.b", "bin/.wh.sh");
    assertThat(root.resolve("etc/a")).hasContent("changed");
    assertThat(root.resolve("etc/b")).doesNotExist();
    assertThat(root.resolve("bin/sh")).doesNotExist();
    assertThat(root.resolve("bin")).isDirectory();
  }

  @Test
  void opaqueDirectoryHidesOnlyLowerLayers() throws IOException {
    apply(true, "data/", "data/old1=x", "data/sub/", "data/sub/old2=y");
    apply(true, "data/", "data/new=z", "data/.wh..wh..opq");
    assertThat(root.resolve("data/new")).hasContent("z");
    assertThat(root.resolve("data/old1")).doesNotExist();
    assertThat(root.resolve("data/sub")).doesNotExist();
  }

  @Test
  void symlinksAndHardLinks() throws IOException {
    apply(true, "bin/", "bin/busybox=BB", "bin/sh->busybox", "bin/cat=>bin/busybox");
    assertThat(Files.readSymbolicLink(root.resolve("bin/sh"))).isEqualTo(Path.of("busybox"));
    assertThat(root.resolve("bin/sh")).hasContent("BB");
    assertThat(root.resolve("bin/cat")).hasContent("BB");
    assertThat(Files.getAttribute(root.resolve("bin/cat"), "unix:nlink")).isEqualTo(2);
  }

  @Test
  void entriesCannotEscapeTheRoot(@TempDir Path outside) throws IOException {
    Path victim = outside.resolve("victim");
    apply(true, "escape->" + outside, "up->../../../../" + outside);
    apply(true, "escape/victim=pwned", "up/victim=pwned", "../../evil=pwned");
    assertThat(victim).doesNotExist();
    assertThat(root.resolve(outside.toString().substring(1)).resolve("victim")).hasContent("pwned");
    assertThat(root.resolve("evil")).hasContent("pwned");
  }

  @Test
  void fileReplacesDirectoryAndViceVersa() throws IOException {
    apply(true, "x/", "x/inner=1", "y=file");
    apply(true, "x=now a file", "y/", "y/inner=2");
    assertThat(root.resolve("x")).hasContent("now a file");
    assertThat(root.resolve("y/inner")).hasContent("2");
  }
}
