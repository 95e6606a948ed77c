package io.keelson.agent.image;

/** Kubernetes {@code imagePullPolicy}. */
public enum PullPolicy {
  /** Ask the registry every time; blobs already stored are not downloaded again. */
  ALWAYS,
  /** Use the stored image when the reference is known locally. */
  IF_NOT_PRESENT,
  /** Never contact a registry; fail with ErrImageNeverPull when the image is not stored. */
  NEVER;

  /**
   * The policy for a pod's {@code imagePullPolicy} string; when absent, Kubernetes' default: Always
   * for {@code :latest} or untagged images, IfNotPresent otherwise.
   */
  public static PullPolicy of(String imagePullPolicy, String imageRef) {
    if (imagePullPolicy != null && !imagePullPolicy.isEmpty()) {
      return switch (imagePullPolicy) {
        case "Always" -> ALWAYS;
        case "Never" -> NEVER;
        case "IfNotPresent" -> IF_NOT_PRESENT;
        default -> throw new IllegalArgumentException("unknown imagePullPolicy " + imagePullPolicy);
      };
    }
    try {
      ImageReference ref = ImageReference.parse(imageRef);
      return ref.digest() == null && "latest".equals(ref.tag()) ? ALWAYS : IF_NOT_PRESENT;
    } catch (IllegalArgumentException e) {
      return IF_NOT_PRESENT;
    }
  }
}
