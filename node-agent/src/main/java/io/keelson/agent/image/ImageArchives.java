package io.keelson.agent.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Imports preloaded images for air-gapped nodes (as k3s does with its agent/images directory):
 * OCI image layout directories, and tarballs that hold either an OCI layout ({@code oci-archive},
 * {@code skopeo copy ... oci-archive:x.tar}) or {@code docker save} output. Each image gets the
 * name from its annotations ({@code io.containerd.image.name}, then
 * {@code org.opencontainers.image.ref.name} when it is a full reference) or from docker's RepoTags;
 * a bare tag in a layout directory {@code foo} becomes {@code keelson.local/foo:TAG}.
 */
final class ImageArchives {

  private static final Logger log = LoggerFactory.getLogger(ImageArchives.class);
  private final JsonMapper json = JsonMapper.builder().build();
  private final BlobStore blobs;
  private final Path tmp;

  /** Receives each imported name → platform manifest digest. */
  interface Tagger {
    void tag(ImageReference ref, String manifestDigest) throws IOException;
  }

  ImageArchives(BlobStore blobs, Path tmp) {
    this.blobs = blobs;
    this.tmp = tmp;
  }

  /** Imports one preload entry (a layout dir or an archive file); returns the names imported. */
  List<String> importEntry(Path entry, Tagger tagger) throws IOException {
    String base = entry.getFileName().toString().replaceAll("(\\.oci)?(\\.tar)?(\\.gz|\\.tgz)?$", "");
    if (Files.isDirectory(entry)) {
      return importDir(entry, base, tagger);
    }
    Path dir = Files.createTempDirectory(tmp, "archive-");
    try {
      extract(entry, dir);
      return importDir(dir, base, tagger);
    } finally {
      LayerApplier.deleteTree(dir);
    }
  }

  private List<String> importDir(Path dir, String defaultName, Tagger tagger) throws IOException {
    if (Files.isRegularFile(dir.resolve("index.json"))) {
      return importLayout(dir, defaultName, tagger);
    }
    if (Files.isRegularFile(dir.resolve("manifest.json"))) {
      return importDockerSave(dir, tagger);
    }
    throw new IOException(dir + " is neither an OCI image layout (index.json) nor a docker save archive (manifest.json)");
  }

  private List<String> importLayout(Path dir, String defaultName, Tagger tagger) throws IOException {
    JsonNode index = json.readTree(Files.readAllBytes(dir.resolve("index.json")));
    List<String> names = new ArrayList<>();
    for (JsonNode desc : index.path("manifests")) {
      JsonNode ann = desc.path("annotations");
      String name = ann.path("io.containerd.image.name").asString(null);
      if (name == null) {
        String refName = ann.path("org.opencontainers.image.ref.name").asString(null);
        if (refName == null) {
          continue; // untagged
        }
        name = refName.contains("/") ? refName : ImageReference.LOCAL_REGISTRY + "/" + defaultName + ":" + refName;
      }
      ImageReference ref;
      try {
        ref = ImageReference.parse(name);
      } catch (IllegalArgumentException e) {
        log.warn("skipping preloaded image {} in {}: {}", name, dir, e.getMessage());
        continue;
      }
      String manifest = importTree(dir, desc.path("digest").asString());
      tagger.tag(ref, manifest);
      names.add(ref.toString());
    }
    return names;
  }

  /** Copies a manifest (or index → its linux/amd64 manifest) with its config and layers; returns the manifest digest. */
  private String importTree(Path dir, String digest) throws IOException {
    byte[] bytes = copyBlob(dir, digest);
    JsonNode m = json.readTree(bytes);
    if (m.has("manifests")) {
      JsonNode chosen = ImageStore.choosePlatform(m);
      if (chosen == null) {
        throw new IOException("no linux/amd64 manifest in index " + digest);
      }
      return importTree(dir, chosen.path("digest").asString());
    }
    copyBlob(dir, m.path("config").path("digest").asString());
    for (JsonNode layer : m.path("layers")) {
      copyBlob(dir, layer.path("digest").asString());
    }
    return digest;
  }

  private byte[] copyBlob(Path dir, String digest) throws IOException {
    if (!blobs.has(digest)) {
      Path src = dir.resolve("blobs").resolve(digest.replace(':', '/'));
      if (!Files.isRegularFile(src)) {
        throw new IOException("blob " + digest + " missing from " + dir);
      }
      blobs.putFile(src, digest);
    }
    return blobs.read(digest);
  }

  /** docker save: manifest.json lists Config and uncompressed Layers per image, with RepoTags. */
  private List<String> importDockerSave(Path dir, Tagger tagger) throws IOException {
    JsonNode list = json.readTree(Files.readAllBytes(dir.resolve("manifest.json")));
    List<String> names = new ArrayList<>();
    for (JsonNode img : list) {
      Path configFile = dir.resolve(img.path("Config").asString());
      String configDigest = blobs.putFile(configFile, null);
      ObjectNode manifest = json.createObjectNode();
      manifest.put("schemaVersion", 2);
      manifest.put("mediaType", RegistryClient.OCI_MANIFEST);
      ObjectNode config = manifest.putObject("config");
      config.put("mediaType", "application/vnd.oci.image.config.v1+json");
      config.put("digest", configDigest);
      config.put("size", Files.size(configFile));
      ArrayNode layers = manifest.putArray("layers");
      for (JsonNode l : img.path("Layers")) {
        Path layerFile = dir.resolve(l.asString());
        ObjectNode d = layers.addObject();
        d.put("mediaType", "application/vnd.oci.image.layer.v1.tar");
        d.put("digest", blobs.putFile(layerFile, null));
        d.put("size", Files.size(layerFile));
      }
      String manifestDigest = blobs.put(json.writeValueAsBytes(manifest), null);
      for (JsonNode tag : img.path("RepoTags")) {
        ImageReference ref = ImageReference.parse(tag.asString());
        tagger.tag(ref, manifestDigest);
        names.add(ref.toString());
      }
    }
    return names;
  }

  private static void extract(Path archive, Path dir) throws IOException {
    InputStream raw = Files.newInputStream(archive);
    try (InputStream in = isGzip(archive) ? new GZIPInputStream(raw, 1 << 16) : raw;
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        String rel = LayerApplier.clean(e.getName());
        if (rel.isEmpty()) {
          continue;
        }
        Path target = dir.resolve(rel);
        if (e.isDirectory()) {
          Files.createDirectories(target);
        } else if (e.isFile()) {
          Files.createDirectories(target.getParent());
          Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
        } else if (e.isSymbolicLink() || e.isLink()) {
          // docker save links identical layers; copy the already extracted target
          Path src = e.isLink() ? dir.resolve(LayerApplier.clean(e.getLinkName())) : target.getParent().resolve(e.getLinkName()).normalize();
          if (src.startsWith(dir) && Files.isRegularFile(src)) {
            Files.createDirectories(target.getParent());
            Files.copy(src, target, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    }
  }

  private static boolean isGzip(Path f) throws IOException {
    try (InputStream in = Files.newInputStream(f)) {
      return in.read() == 0x1f && in.read() == 0x8b;
    }
  }
}
