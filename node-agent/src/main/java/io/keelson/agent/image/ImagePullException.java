package io.keelson.agent.image;

import io.keelson.agent.driver.DriverException;

/**
 * An image could not be made available. {@link #reason()} is the kubelet's waiting reason
 * ({@code ErrImagePull}, {@code ErrImageNeverPull}, {@code InvalidImageName}); the message carries
 * the registry's own words (e.g. {@code manifest unknown}, {@code connection refused}) so that
 * {@code kubectl describe pod} tells the user what went wrong. The agent turns repeated failures
 * into {@code ImagePullBackOff}.
 */
public class ImagePullException extends DriverException {

  public static final String ERR_IMAGE_PULL = "ErrImagePull";
  public static final String ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull";
  public static final String INVALID_IMAGE_NAME = "InvalidImageName";

  public ImagePullException(String reason, String message, Throwable cause) {
    super(reason, message, cause);
  }

  static ImagePullException pull(String ref, String why, Throwable cause) {
    return new ImagePullException(ERR_IMAGE_PULL, "failed to pull image \"" + ref + "\": " + why, cause);
  }
}
