package io.keelson.agent.pod;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.TaskConfig.TaskImage;
import java.util.List;

/**
 * The agent's view of the image store (io.keelson.agent.image): is an image here, and pull/resolve
 * it into unpacked layers plus the image config the agent needs to build a task.
 */
public interface ImageProvider {

  /** The image is in the local store (pull policy IfNotPresent/Never decide on this). */
  boolean present(String ref);

  /**
   * Pulls the image if needed (always when {@code forcePull}) and returns it; failures are a
   * {@link DriverException} with reason ErrImagePull (or ErrImageNeverPull) and the registry's message.
   */
  ResolvedImage resolve(String ref, boolean forcePull) throws DriverException;

  /**
   * An image ready to run.
   *
   * @param image layers and ids for the driver
   * @param entrypoint image ENTRYPOINT (may be empty)
   * @param cmd image CMD (may be empty)
   * @param env image ENV as KEY=VALUE
   * @param workingDir image WORKDIR, may be empty
   * @param user image USER ("uid", "uid:gid", a name, or empty)
   */
  record ResolvedImage(
      TaskImage image,
      List<String> entrypoint,
      List<String> cmd,
      List<String> env,
      String workingDir,
      String user) {}
}
