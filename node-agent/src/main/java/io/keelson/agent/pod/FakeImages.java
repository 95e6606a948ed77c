package io.keelson.agent.pod;

import io.keelson.agent.driver.TaskConfig.TaskImage;
import java.util.List;

/** Images for hollow nodes and tests: every image is "present" and resolves to nothing on disk. */
public final class FakeImages implements ImageProvider {
  @Override
  public boolean present(String ref) {
    return true;
  }

  @Override
  public ResolvedImage resolve(String ref, boolean forcePull) {
    return new ResolvedImage(
        new TaskImage(ref, "sha256:" + Integer.toHexString(ref.hashCode()), List.of(), null),
        List.of(),
        List.of("sleep", "infinity"),
        List.of(),
        "/",
        "");
  }
}
