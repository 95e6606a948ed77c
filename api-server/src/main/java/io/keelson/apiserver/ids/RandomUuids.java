package io.keelson.apiserver.ids;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random (version 4) UUIDs for what must be unique but is no secret: objects' metadata.uid and
 * requests' audit IDs. {@code UUID.randomUUID()} draws from the shared SecureRandom, which takes a
 * lock and reads /dev/urandom every second UUID — a system call per create for its uid and its audit
 * ID; the thread's own generator does neither. (kube-apiserver's uids are not secret either:
 * apimachinery makes them with uuid.NewUUID.)
 */
public final class RandomUuids {

  private RandomUuids() {}

  public static UUID next() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long hi = (r.nextLong() & ~0xF000L) | 0x4000L; // version 4
    long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
    return new UUID(hi, lo);
  }

  public static String nextString() {
    return next().toString();
  }
}
