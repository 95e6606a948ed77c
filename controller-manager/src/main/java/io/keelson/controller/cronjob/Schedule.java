package io.keelson.controller.cronjob;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.keelson.controller.runtime.GoDurations;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;

/**
 * A CronJob's {@code spec.schedule}: standard five-field cron (via cron-utils' UNIX definition),
 * the descriptors {@code @yearly @annually @monthly @weekly @daily @midnight @hourly}, and
 * {@code @every <duration>} as robfig/cron (kube's parser) reads them. Times are evaluated in the
 * CronJob's zone.
 */
public final class Schedule {
  private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final Map<String, String> DESCRIPTORS = Map.of(
      "@yearly", "0 0 1 1 *",
      "@annually", "0 0 1 1 *",
      "@monthly", "0 0 1 * *",
      "@weekly", "0 0 * * 0",
      "@daily", "0 0 * * *",
      "@midnight", "0 0 * * *",
      "@hourly", "0 * * * *");

  private final ExecutionTime cron; // null for @every
  private final Duration every;

  private Schedule(ExecutionTime cron, Duration every) {
    this.cron = cron;
    this.every = every;
  }

  /** Parses a schedule; throws IllegalArgumentException with the reason if it is not one. */
  public static Schedule parse(String spec) {
    if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty schedule");
    String s = spec.trim().replaceAll("\\s+", " ");
    if (s.startsWith("@every ")) return new Schedule(null, goDuration(s.substring(7).trim()));
    // robfig reads '?' as '*' in any field (the api-server accepts it there too).
    String expr = DESCRIPTORS.getOrDefault(s.toLowerCase(Locale.ROOT), s.replace('?', '*'));
    if (expr.startsWith("@")) throw new IllegalArgumentException("unrecognized descriptor: " + s);
    try {
      var parsed = PARSER.parse(expr);
      parsed.validate();
      return new Schedule(ExecutionTime.forCron(parsed), null);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The first scheduled time strictly after {@code t}, or null if there is none. */
  public Instant next(Instant t, ZoneId zone) {
    if (every != null) {
      // robfig's ConstantDelaySchedule: whole seconds from the second t falls in.
      return t.truncatedTo(ChronoUnit.SECONDS).plus(every);
    }
    return cron.nextExecution(ZonedDateTime.ofInstant(t, zone)).map(ZonedDateTime::toInstant).orElse(null);
  }

  /** Go's time.ParseDuration, rounded to whole seconds and at least 1 s as robfig runs it. */
  static Duration goDuration(String s) {
    Duration d;
    try {
      d = GoDurations.parse(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("failed to parse duration @every " + s);
    }
    long seconds = Math.round(d.getSeconds() + d.getNano() / 1e9);
    return Duration.ofSeconds(Math.max(1, seconds));
  }
}
