package io.keelson.controller.runtime;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as Go's time.Duration prints and parses them ("11.974s", "1m0s", "500ms", "1h30m"),
 * the form CronJobs' {@code @every} and metrics.k8s.io's {@code window} use.
 */
public final class GoDurations {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s|ns|us|\u00b5s)");

  private GoDurations() {}

  /** The duration {@code s} names, to the nanosecond; IllegalArgumentException when it is not one. */
  public static Duration parse(String s) {
    Matcher m = PART.matcher(s);
    int at = 0;
    double nanos = 0;
    while (m.find() && m.start() == at) {
      nanos += Double.parseDouble(m.group(1)) * switch (m.group(2)) {
        case "h" -> 3.6e12;
        case "m" -> 6e10;
        case "s" -> 1e9;
        case "ms" -> 1e6;
        case "ns" -> 1;
        default -> 1e3; // us, µs
      };
      at = m.end();
    }
    if (at == 0 || at != s.length()) throw new IllegalArgumentException("not a duration: " + s);
    long seconds = (long) (nanos / 1e9); // in seconds first: Duration.ofNanos would overflow past 292 years
    return Duration.ofSeconds(seconds).plusNanos(Math.round(nanos - seconds * 1e9));
  }
}
