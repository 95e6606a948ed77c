package io.keelson.agent.image;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.pod.ImageProvider;
import java.io.IOException;

/** The agent's {@link ImageProvider} backed by the node's {@link ImageStore}. */
public final class StoreImageProvider implements ImageProvider {

  private final ImageStore store;

  public StoreImageProvider(ImageStore store) {
    this.store = store;
  }

  public ImageStore store() {
    return store;
  }

  @Override
  public boolean present(String ref) {
    return store.find(ref).isPresent();
  }

  @Override
  public ResolvedImage resolve(String ref, boolean forcePull) throws DriverException {
    Image image = store.ensure(ref, forcePull ? PullPolicy.ALWAYS : PullPolicy.IF_NOT_PRESENT);
    try {
      ImageConfig c = image.config();
      var taskImage = store.taskImage(image);
      // user names mean something only inside the image: turn them into ids here
      String user = ImageUsers.numeric(taskImage.rootfs(), c.user()).orElseThrow(() -> new ImagePullException("CreateContainerConfigError",
          "unable to find user " + c.user() + " in image \"" + ref + "\"", null));
      return new ResolvedImage(taskImage, c.entrypoint(), c.cmd(), c.env(), c.workingDir(), user);
    } catch (IOException e) {
      throw new ImagePullException(ImagePullException.ERR_IMAGE_PULL, "unpacking image \"" + ref + "\" failed: " + e.getMessage(), e);
    }
  }
}
