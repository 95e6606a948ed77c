package io.keelson.apiserver.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * An append-only log file rotated by size, as kube-apiserver's audit log (lumberjack): once a write
 * would take it past {@code maxBytes} the file is renamed to {@code NAME-2006-01-02T15-04-05.000.EXT}
 * (UTC) and a new one started; of the renamed files only the newest {@code maxBackups} (0: all) no
 * older than {@code maxAge} (zero: any age) are kept. Not thread-safe: one writer thread owns it.
 */
final class RotatingFile extends OutputStream {

  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss.SSS");

  private final Path file;
  private final long maxBytes;
  private final int maxBackups;
  private final Duration maxAge;
  private final Clock clock;
  private final String prefix;
  private final String ext;
  private OutputStream out;
  private long size;

  RotatingFile(Path file, long maxBytes, int maxBackups, Duration maxAge, Clock clock) throws IOException {
    this.file = file.toAbsolutePath();
    this.maxBytes = maxBytes;
    this.maxBackups = maxBackups;
    this.maxAge = maxAge;
    this.clock = clock;
    String name = this.file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    this.prefix = (dot > 0 ? name.substring(0, dot) : name) + "-";
    this.ext = dot > 0 ? name.substring(dot) : "";
    if (this.file.getParent() != null) Files.createDirectories(this.file.getParent());
    open();
  }

  private void open() throws IOException {
    out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    size = Files.size(file);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (size > 0 && size + len > maxBytes) rotate();
    out.write(b, off, len);
    size += len;
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  private void rotate() throws IOException {
    out.close();
    Path backup = file.resolveSibling(prefix + STAMP.format(LocalDateTime.ofInstant(clock.instant(), ZoneOffset.UTC)) + ext);
    Files.move(file, backup);
    open();
    prune();
  }

  /** Deletes the backups beyond the newest maxBackups and those older than maxAge. */
  private void prune() throws IOException {
    record Backup(Path path, Instant time) {}
    List<Backup> backups = new ArrayList<>();
    try (Stream<Path> s = Files.list(file.getParent())) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (!n.startsWith(prefix) || !n.endsWith(ext) || n.length() <= prefix.length() + ext.length()) continue;
        try {
          String stamp = n.substring(prefix.length(), n.length() - ext.length());
          backups.add(new Backup(p, LocalDateTime.parse(stamp, STAMP).toInstant(ZoneOffset.UTC)));
        } catch (DateTimeParseException e) {
          // another file with a similar name: not ours
        }
      }
    }
    backups.sort(Comparator.comparing(Backup::time).reversed());
    Instant oldest = maxAge.isZero() ? Instant.MIN : clock.instant().minus(maxAge);
    for (int i = 0; i < backups.size(); i++) {
      Backup b = backups.get(i);
      if ((maxBackups > 0 && i >= maxBackups) || b.time().isBefore(oldest)) Files.deleteIfExists(b.path());
    }
  }
}
