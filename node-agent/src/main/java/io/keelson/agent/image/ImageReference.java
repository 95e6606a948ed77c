package io.keelson.agent.image;

import java.util.regex.Pattern;

/**
 * A parsed image reference, normalised the way Docker and containerd do it: {@code busybox} is
 * {@code docker.io/library/busybox:latest}; a first path component with a dot or a colon, or
 * {@code localhost}, names the registry.
 *
 * @param registry registry host[:port] as written (docker.io for Docker Hub)
 * @param repository path inside the registry (library/busybox)
 * @param tag the tag, or null when only a digest is given
 * @param digest sha256:... when pinned by digest, else null
 */
public record ImageReference(String registry, String repository, String tag, String digest) {

  /** Images under this registry name come only from archives preloaded on the node. */
  public static final String LOCAL_REGISTRY = "keelson.local";

  public static final String DOCKER_HUB = "docker.io";

  private static final Pattern REPOSITORY =
      Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]+(?::[0-9]+)?|\\[[0-9a-fA-F:]+\\](?::[0-9]+)?");

  /** Parses and normalises {@code ref}; throws IllegalArgumentException with a user-facing reason. */
  public static ImageReference parse(String ref) {
    if (ref == null || ref.isBlank()) {
      throw new IllegalArgumentException("image reference is empty");
    }
    String rest = ref.trim();
    String digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
      if (!DIGEST.matcher(digest).matches()) {
        throw new IllegalArgumentException("invalid digest \"" + digest + "\" in image reference \"" + ref + "\"");
      }
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new IllegalArgumentException("invalid tag \"" + tag + "\" in image reference \"" + ref + "\"");
      }
    }
    String registry = DOCKER_HUB;
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        registry = first;
        rest = rest.substring(slash + 1);
        if (!HOST.matcher(registry).matches()) {
          throw new IllegalArgumentException("invalid registry \"" + registry + "\" in image reference \"" + ref + "\"");
        }
      }
    }
    if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
      registry = DOCKER_HUB;
    }
    if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    if (!REPOSITORY.matcher(rest).matches()) {
      throw new IllegalArgumentException(
          "invalid reference format: repository name \"" + rest + "\" must be lowercase in \"" + ref + "\"");
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return new ImageReference(registry, rest, tag, digest);
  }

  /** True for {@code keelson.local/...}: served only from preloaded archives, never pulled. */
  public boolean isLocal() {
    return registry.equals(LOCAL_REGISTRY);
  }

  /** The tag or digest to ask the registry for. */
  public String manifestReference() {
    return digest != null ? digest : tag;
  }

  /** registry/repository, e.g. docker.io/library/busybox. */
  public String name() {
    return registry + "/" + repository;
  }

  /** The same repository pinned to {@code manifestDigest} (containerStatuses[].imageID style). */
  public String withDigest(String manifestDigest) {
    return name() + "@" + manifestDigest;
  }

  /** Canonical form: docker.io/library/busybox:latest, or with @digest. */
  @Override
  public String toString() {
    return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }
}
