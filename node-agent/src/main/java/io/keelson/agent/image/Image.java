package io.keelson.agent.image;

import java.util.List;

/**
 * An image stored on this node.
 *
 * @param reference the reference it was asked for (normalised)
 * @param manifestDigest digest of the linux/amd64 image manifest
 * @param id the image id: the digest of its config blob (what {@code crictl images} shows)
 * @param config the runtime defaults (entrypoint, cmd, env, ...)
 * @param layers digests of the layer blobs, bottom first
 * @param size total compressed size of the layers in bytes
 */
public record Image(
    ImageReference reference, String manifestDigest, String id, ImageConfig config, List<String> layers, long size) {

  public Image {
    layers = List.copyOf(layers);
  }

  /** containerStatuses[].imageID: the repository pinned to the manifest digest. */
  public String imageId() {
    return reference.withDigest(manifestDigest);
  }
}
