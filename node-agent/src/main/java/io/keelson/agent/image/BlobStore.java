package io.keelson.agent.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Content-addressed blobs (manifests, configs, compressed layers) under {@code <dir>/sha256/<hex>},
 * shared by every pod and by every agent pointed at the same images dir. A blob is written to a
 * temp file, its sha256 checked against the expected digest, then renamed into place, so a blob
 * that exists is complete and verified; concurrent writers of one blob are harmless.
 */
public final class BlobStore {

  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  private final Path dir;
  private final Path tmp;

  public BlobStore(Path dir, Path tmp) throws IOException {
    this.dir = dir;
    this.tmp = tmp;
    Files.createDirectories(dir.resolve("sha256"));
    Files.createDirectories(tmp);
  }

  /** Where blob {@code digest} lives (whether present or not). */
  public Path path(String digest) {
    if (!DIGEST.matcher(digest).matches()) {
      throw new IllegalArgumentException("unsupported digest " + digest);
    }
    return dir.resolve("sha256").resolve(digest.substring(7));
  }

  public boolean has(String digest) {
    return Files.isRegularFile(path(digest));
  }

  public byte[] read(String digest) throws IOException {
    return Files.readAllBytes(path(digest));
  }

  /**
   * Stores the bytes of {@code in}, verifying they hash to {@code expectedDigest} (null: accept and
   * return whatever digest they have).
   *
   * @return the digest
   * @throws DigestMismatchException if the content does not match
   */
  public String put(InputStream in, String expectedDigest) throws IOException {
    if (expectedDigest != null && has(expectedDigest)) {
      in.transferTo(OutputStream.nullOutputStream());
      return expectedDigest;
    }
    Path t = tmp.resolve("blob-" + UUID.randomUUID());
    try {
      MessageDigest md = sha256();
      try (OutputStream out = new DigestOutputStream(Files.newOutputStream(t), md)) {
        in.transferTo(out);
      }
      String actual = "sha256:" + HexFormat.of().formatHex(md.digest());
      if (expectedDigest != null && !expectedDigest.equals(actual)) {
        throw new DigestMismatchException("content digest " + actual + " does not match " + expectedDigest);
      }
      moveIntoPlace(t, path(actual));
      return actual;
    } finally {
      Files.deleteIfExists(t);
    }
  }

  public String put(byte[] bytes, String expectedDigest) throws IOException {
    return put(new java.io.ByteArrayInputStream(bytes), expectedDigest);
  }

  /** Copies a file into the store (from a preloaded archive), verifying it when a digest is given. */
  public String putFile(Path file, String expectedDigest) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return put(in, expectedDigest);
    }
  }

  public static String digestOf(byte[] bytes) {
    return "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void moveIntoPlace(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
      // another writer won the race with identical content
    }
  }

  /** The downloaded or imported bytes are not what the digest promised. */
  public static final class DigestMismatchException extends IOException {
    public DigestMismatchException(String message) {
      super(message);
    }
  }
}
