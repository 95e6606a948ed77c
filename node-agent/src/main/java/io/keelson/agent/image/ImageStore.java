package io.keelson.agent.image;

import io.keelson.agent.driver.TaskConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The node's image store: pulls images from OCI registries or imports them from preloaded
 * archives, keeps their blobs content-addressed, and unpacks each image once into a flattened,
 * read-only root filesystem that every container of that image shares (as an overlayfs lower dir,
 * see {@link RootfsMounter}) and that the VM driver turns into a guest disk.
 *
 * <p>Layout of the images dir (shared by all pods, and by all agents given the same dir):
 *
 * <pre>
 * blobs/sha256/HEX     manifests, configs, compressed layers (verified)
 * refs/ENCODED-REF     "sha256:..." the linux/amd64 manifest a reference resolved to
 * rootfs/CONFIG-HEX/   the image's layers applied on top of each other (read-only by convention)
 * preload/             drop OCI layout dirs, oci-archive or docker-save tarballs here (air-gapped nodes)
 * registries.yaml      per-registry settings: insecure, mirrors, credentials ({@link RegistryHosts})
 * tmp/                 work files
 * </pre>
 *
 * Every write is a rename of a completed temp file or directory, so concurrent pulls of the same
 * image (from pods or from other agents) are safe and nothing half-written is ever visible.
 */
public final class ImageStore {

  private static final Logger log = LoggerFactory.getLogger(ImageStore.class);

  private final Path dir;
  private final BlobStore blobs;
  private final RegistryClient registry;
  private final ImageArchives archives;
  private final boolean chown;
  private final JsonMapper json = JsonMapper.builder().build();
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
  /** Preload entries already imported by this process: path → mtime+size. */
  private final Map<Path, String> imported = new HashMap<>();

  public ImageStore(Path imagesDir, RegistryHosts hosts) throws IOException {
    this.dir = imagesDir.toAbsolutePath();
    Path tmp = dir.resolve("tmp");
    this.blobs = new BlobStore(dir.resolve("blobs"), tmp);
    this.registry = new RegistryClient(hosts);
    this.archives = new ImageArchives(blobs, tmp);
    this.chown = "root".equals(System.getProperty("user.name"));
    Files.createDirectories(dir.resolve("refs"));
    Files.createDirectories(dir.resolve("rootfs"));
    Files.createDirectories(preloadDir());
  }

  /** Opens the store at {@code imagesDir} with its {@code registries.yaml} (if any) and imports preloaded images. */
  public static ImageStore open(Path imagesDir) throws IOException {
    ImageStore store = new ImageStore(imagesDir, RegistryHosts.load(imagesDir.resolve("registries.yaml")));
    store.importPreloaded();
    return store;
  }

  public Path dir() {
    return dir;
  }

  public Path preloadDir() {
    return dir.resolve("preload");
  }

  public BlobStore blobs() {
    return blobs;
  }

  /**
   * Makes {@code imageRef} available under {@code policy} and returns it (unpacked: {@link
   * #rootfs} is then cheap). Images under {@code keelson.local/} come only from the preload dir.
   *
   * @throws ImagePullException with reason ErrImagePull (the registry's reason in the message),
   *     ErrImageNeverPull or InvalidImageName
   */
  public Image ensure(String imageRef, PullPolicy policy) throws ImagePullException {
    ImageReference ref;
    try {
      ref = ImageReference.parse(imageRef);
    } catch (IllegalArgumentException e) {
      throw new ImagePullException(ImagePullException.INVALID_IMAGE_NAME, "Failed to apply default image tag \"" + imageRef + "\": " + e.getMessage(), e);
    }
    ReentrantLock lock = locks.computeIfAbsent(ref.toString(), k -> new ReentrantLock());
    lock.lock();
    try {
      Optional<Image> local = find(ref);
      if (policy == PullPolicy.NEVER) {
        return unpacked(local.orElseThrow(() -> new ImagePullException(ImagePullException.ERR_IMAGE_NEVER_PULL,
            "Container image \"" + imageRef + "\" is not present with pull policy of Never", null)));
      }
      if (local.isPresent() && (policy == PullPolicy.IF_NOT_PRESENT || ref.isLocal() || ref.digest() != null)) {
        return unpacked(local.get());
      }
      if (ref.isLocal()) {
        importPreloaded();
        return unpacked(find(ref).orElseThrow(() -> ImagePullException.pull(imageRef,
            "not found: " + ImageReference.LOCAL_REGISTRY + " images come only from archives preloaded into " + preloadDir(), null)));
      }
      return unpacked(pull(ref));
    } catch (IOException e) {
      throw ImagePullException.pull(imageRef, "storing the image failed: " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }

  /** The stored image {@code imageRef} resolves to, if any (no network). */
  public Optional<Image> find(String imageRef) {
    try {
      return find(ImageReference.parse(imageRef));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  Optional<Image> find(ImageReference ref) {
    try {
      Path refFile = refFile(ref);
      if (!Files.isRegularFile(refFile)) {
        return Optional.empty();
      }
      return load(ref, Files.readString(refFile).trim());
    } catch (IOException | RuntimeException e) {
      log.warn("image {} is stored but unreadable: {}", ref, e.toString());
      return Optional.empty();
    }
  }

  /** All tagged images in the store. */
  public List<Image> list() throws IOException {
    List<Image> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir.resolve("refs"))) {
      for (Path f : files.toList()) {
        String name = URLDecoder.decode(f.getFileName().toString(), StandardCharsets.UTF_8);
        if (!name.startsWith(".")) {
          find(name).ifPresent(out::add);
        }
      }
    }
    return out;
  }

  /**
   * The image's flattened root filesystem, unpacked on first use. Shared and read-only: mount it
   * as an overlay lower dir or copy it, never write into it.
   */
  public Path rootfs(Image image) throws IOException {
    Path target = dir.resolve("rootfs").resolve(image.id().substring("sha256:".length()));
    if (Files.isDirectory(target)) {
      return target;
    }
    ReentrantLock lock = locks.computeIfAbsent("rootfs:" + image.id(), k -> new ReentrantLock());
    lock.lock();
    try {
      if (Files.isDirectory(target)) {
        return target;
      }
      Path work = dir.resolve("tmp").resolve("unpack-" + UUID.randomUUID());
      Files.createDirectories(work);
      try {
        Files.setAttribute(work, "unix:mode", 0755);
        LayerApplier applier = new LayerApplier(work, chown);
        for (String layer : image.layers()) {
          try (InputStream in = Files.newInputStream(blobs.path(layer))) {
            applier.apply(in);
          } catch (IOException e) {
            throw new IOException("layer " + layer + ": " + e.getMessage(), e);
          }
        }
        try {
          Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
          // another agent unpacked it meanwhile
        }
      } finally {
        LayerApplier.deleteTree(work);
      }
      return target;
    } finally {
      lock.unlock();
    }
  }

  /** The driver-facing view of an image: its id and the read-only rootfs as the only lower layer. */
  public TaskConfig.TaskImage taskImage(Image image) throws IOException {
    Path rootfs = rootfs(image);
    return new TaskConfig.TaskImage(image.reference().toString(), image.imageId(), List.of(rootfs), rootfs);
  }

  /**
   * Imports new or changed entries of {@link #preloadDir()} (layout dirs, .tar/.tar.gz archives).
   * Cheap when nothing changed. Broken entries are logged and skipped.
   *
   * @return names imported by this call
   */
  public synchronized List<String> importPreloaded() {
    List<String> names = new ArrayList<>();
    List<Path> entries;
    try (Stream<Path> s = Files.list(preloadDir())) {
      entries = s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    } catch (IOException e) {
      log.warn("cannot list {}: {}", preloadDir(), e.toString());
      return names;
    }
    for (Path entry : entries) {
      try {
        Path stamp = Files.isDirectory(entry) ? entry.resolve("index.json") : entry;
        if (!Files.exists(stamp)) {
          stamp = entry.resolve("manifest.json");
        }
        String signature = Files.getLastModifiedTime(stamp).toMillis() + "/" + Files.size(stamp);
        if (signature.equals(imported.get(entry))) {
          continue;
        }
        List<String> got = archives.importEntry(entry, this::tag);
        imported.put(entry, signature);
        log.info("imported preloaded images {} from {}", got, entry);
        names.addAll(got);
      } catch (IOException | RuntimeException e) {
        log.warn("skipping preloaded entry {}: {}", entry, e.toString());
      }
    }
    return names;
  }

  /** Points {@code ref} at {@code manifestDigest} (atomic replace). */
  void tag(ImageReference ref, String manifestDigest) throws IOException {
    Path refFile = refFile(ref);
    Path t = dir.resolve("tmp").resolve("ref-" + UUID.randomUUID());
    Files.writeString(t, manifestDigest + "\n");
    Files.move(t, refFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private Path refFile(ImageReference ref) {
    return dir.resolve("refs").resolve(URLEncoder.encode(ref.toString(), StandardCharsets.UTF_8));
  }

  private Image unpacked(Image image) throws IOException {
    rootfs(image);
    return image;
  }

  private Image pull(ImageReference ref) throws ImagePullException, IOException {
    log.info("pulling {}", ref);
    RegistryClient.Manifest m = registry.manifest(ref, ref.manifestReference());
    blobs.put(m.bytes(), m.digest());
    JsonNode node = json.readTree(m.bytes());
    String manifestDigest = m.digest();
    if (node.has("manifests")) {
      JsonNode chosen = choosePlatform(node);
      if (chosen == null) {
        throw ImagePullException.pull(ref.toString(), "no matching manifest for linux/amd64 in the manifest list entries", null);
      }
      manifestDigest = chosen.path("digest").asString();
      if (!blobs.has(manifestDigest)) {
        RegistryClient.Manifest pm = registry.manifest(ref, manifestDigest);
        blobs.put(pm.bytes(), pm.digest());
        node = json.readTree(pm.bytes());
      } else {
        node = json.readTree(blobs.read(manifestDigest));
      }
    }
    if (!node.has("config") || !node.has("layers")) {
      throw ImagePullException.pull(ref.toString(), "unsupported manifest (schema 1 or unknown media type " + m.mediaType() + ")", null);
    }
    List<String> needed = new ArrayList<>();
    needed.add(node.path("config").path("digest").asString());
    node.path("layers").forEach(l -> needed.add(l.path("digest").asString()));
    for (String digest : needed) {
      if (!blobs.has(digest)) {
        registry.blob(ref, digest, blobs);
      }
    }
    tag(ref, manifestDigest);
    log.info("pulled {} ({})", ref, manifestDigest);
    return load(ref, manifestDigest).orElseThrow(() -> new IOException("image vanished after pull"));
  }

  private Optional<Image> load(ImageReference ref, String manifestDigest) throws IOException {
    if (!blobs.has(manifestDigest)) {
      return Optional.empty();
    }
    JsonNode m = json.readTree(blobs.read(manifestDigest));
    String configDigest = m.path("config").path("digest").asString();
    if (!blobs.has(configDigest)) {
      return Optional.empty();
    }
    List<String> layers = new ArrayList<>();
    long size = 0;
    for (JsonNode l : m.path("layers")) {
      String d = l.path("digest").asString();
      if (!blobs.has(d)) {
        return Optional.empty();
      }
      layers.add(d);
      size += l.path("size").asLong(0);
    }
    ImageConfig config = ImageConfig.parse(json.readTree(blobs.read(configDigest)));
    return Optional.of(new Image(ref, manifestDigest, configDigest, config, layers, size));
  }

  /** The linux/amd64 entry of a manifest list / OCI index, or null. */
  static JsonNode choosePlatform(JsonNode index) {
    JsonNode fallback = null;
    for (JsonNode d : index.path("manifests")) {
      JsonNode p = d.path("platform");
      if (p.isMissingNode()) {
        fallback = fallback == null ? d : fallback; // single-platform layouts often omit it
        continue;
      }
      if ("linux".equals(p.path("os").asString("")) && "amd64".equals(p.path("architecture").asString(""))) {
        return d;
      }
    }
    return fallback;
  }
}
