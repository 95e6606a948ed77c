package io.keelson.apiserver.printing;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Durations as kubectl prints them in AGE-like columns: "5s", "3m2s", "45m", "4h", "5h3m", "2d3h",
 * "20d", "2y40d". Precision drops as durations grow, the way people read ages.
 */
public final class Ages {

  private Ages() {}

  /** The age of a timestamp at {@code now}; "&lt;unknown&gt;" for a missing or unparsable one. */
  public static String since(String rfc3339, Instant now) {
    Instant t = parse(rfc3339);
    return t == null ? "<unknown>" : human(Duration.between(t, now));
  }

  static Instant parse(String rfc3339) {
    if (rfc3339 == null || rfc3339.isEmpty()) return null;
    try {
      return OffsetDateTime.parse(rfc3339).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return Instant.parse(rfc3339);
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  /** kubectl's human duration. Up to one second of clock skew into the future reads as "0s". */
  public static String human(Duration d) {
    long seconds = d.getSeconds();
    if (seconds < -1) return "<invalid>";
    if (seconds < 0) return "0s";
    if (seconds < 120) return seconds + "s";
    long minutes = seconds / 60;
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    }
    if (minutes < 180) return minutes + "m";
    long hours = minutes / 60;
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    }
    if (hours < 48) return hours + "h";
    long days = hours / 24;
    if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? days + "d" : days + "d" + h + "h";
    }
    if (hours < 24 * 365 * 2) return days + "d";
    long years = days / 365;
    if (hours < 24 * 365 * 8) {
      long dy = days % 365;
      return dy == 0 ? years + "y" : years + "y" + dy + "d";
    }
    return years + "y";
  }
}
