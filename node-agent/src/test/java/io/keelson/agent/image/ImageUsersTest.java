package io.keelson.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageUsersTest {

  @TempDir Path rootfs;

  @Test
  void namesBecomeIdsFromTheImagesOwnFiles() throws Exception {
    Files.createDirectories(rootfs.resolve("etc"));
    Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n");
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nstaff:x:50:\n");
    assertThat(ImageUsers.numeric(rootfs, "")).contains("");
    assertThat(ImageUsers.numeric(rootfs, "app")).contains("1001:1002");
    assertThat(ImageUsers.numeric(rootfs, "app:staff")).contains("1001:50");
    assertThat(ImageUsers.numeric(rootfs, "1001")).contains("1001:1002");
    assertThat(ImageUsers.numeric(rootfs, "4242")).contains("4242");
    assertThat(ImageUsers.numeric(rootfs, "4242:7")).contains("4242:7");
    assertThat(ImageUsers.numeric(rootfs, "ghost")).isEmpty();
    assertThat(ImageUsers.numeric(rootfs, "app:nogroup")).isEmpty();
  }
}
