package io.keelson.apiserver.admission;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The schedules and time zones a CronJob may have, as kube accepts them: its parser is robfig/cron's
 * {@code ParseStandard} (five fields, names of months and days, {@code ?} for "any" in the day fields,
 * the {@code @daily}-style descriptors and {@code @every <duration>}), and its zones are IANA names.
 * The five fields are checked with cron-utils' UNIX definition, the library the CronJob controller
 * schedules with, so that what is accepted here is what the controller can run.
 */
public final class CronSchedules {

  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  /** robfig's descriptors, as the five fields they stand for. */
  private static final Map<String, String> DESCRIPTORS = Map.of(
      "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0",
      "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");
  /** A Go duration ({@code time.ParseDuration}): "90s", "1h30m", "1.5h". */
  private static final Pattern GO_DURATION = Pattern.compile("^([0-9]*(\\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$");
  /** kube's validTimeZoneCharacters: what each "/"-separated part of a zone name may hold. */
  private static final Pattern ZONE_PART = Pattern.compile("^[A-Za-z._+\\-0-9]+$");

  private CronSchedules() {}

  /** Why {@code schedule} is not a valid standard cron schedule (robfig's wording where it has one), or null. */
  public static String problem(String schedule) {
    String s = schedule.strip();
    if (s.isEmpty()) return "empty spec string";
    // robfig takes a leading TZ=/CRON_TZ= itself; the validator rejects it separately, as kube does
    if (s.startsWith("TZ=") || s.startsWith("CRON_TZ=")) {
      int space = s.indexOf(' ');
      String zone = s.substring(s.indexOf('=') + 1, space < 0 ? s.length() : space);
      if (zoneProblem(zone) != null) return "provided bad location " + zone + ": unknown time zone " + zone;
      s = space < 0 ? "" : s.substring(space + 1).strip();
    }
    if (s.startsWith("@")) {
      if (s.startsWith("@every ")) {
        String d = s.substring("@every ".length()).strip();
        // robfig runs anything under a second every second, so any Go duration will do
        return d.equals("0") || GO_DURATION.matcher(d).matches() ? null
            : "failed to parse duration " + s + ": time: invalid duration \"" + d + "\"";
      }
      String fields = DESCRIPTORS.get(s);
      if (fields == null) return "unrecognized descriptor: " + s;
      s = fields;
    }
    String[] fields = s.split("\\s+");
    if (fields.length != 5) {
      return "expected exactly 5 fields, found " + fields.length + ": [" + String.join(" ", Arrays.asList(fields)) + "]";
    }
    // robfig reads "?" as "*"; names in any case
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].equals("?")) fields[i] = "*";
    }
    for (int i = 0; i < fields.length; i++) {
      String bounds = boundsProblem(fields[i], MIN[i], MAX[i]);
      if (bounds != null) return bounds;
    }
    try {
      UNIX.parse(String.join(" ", fields).toUpperCase(Locale.ROOT)).validate();
      return null;
    } catch (IllegalArgumentException e) {
      String msg = String.valueOf(e.getMessage());
      return msg.startsWith("Failed to parse cron expression. ") ? msg.substring("Failed to parse cron expression. ".length()) : msg;
    }
  }

  /** Each field's bounds in robfig's parser: minute, hour, day of month, month, day of week (0-6, no 7). */
  private static final int[] MIN = {0, 0, 1, 1, 0};
  private static final int[] MAX = {59, 23, 31, 12, 6};

  /**
   * robfig's words for numbers out of a field's bounds ("end of range (61) above maximum (59): 61"),
   * the mistake people make most; anything else in the field is left to the parser.
   */
  private static String boundsProblem(String field, int min, int max) {
    for (String expr : field.split(",", -1)) {
      String range = expr.contains("/") ? expr.substring(0, expr.indexOf('/')) : expr;
      if (range.equals("*") || range.equals("?")) continue;
      String[] ends = range.split("-", -1);
      if (ends.length > 2 || !ends[0].matches("[0-9]{1,9}") || (ends.length == 2 && !ends[1].matches("[0-9]{1,9}"))) continue;
      int start = Integer.parseInt(ends[0]);
      // "a/step" runs from a to the field's maximum
      int end = ends.length == 2 ? Integer.parseInt(ends[1]) : expr.contains("/") ? max : start;
      if (start < min) return "beginning of range (" + start + ") below minimum (" + min + "): " + expr;
      if (end > max) return "end of range (" + end + ") above maximum (" + max + "): " + expr;
      if (start > end) return "beginning of range (" + start + ") beyond end of range (" + end + "): " + expr;
    }
    return null;
  }

  /** Whether a schedule carries its own zone, which kube only lets pre-existing schedules keep. */
  public static boolean hasZone(String schedule) {
    return schedule.contains("TZ");
  }

  /** Why {@code zone} is not a time zone kube accepts for {@code spec.timeZone}, or null. */
  public static String zoneProblem(String zone) {
    if (zone.isEmpty()) return "timeZone must be nil or non-empty string";
    for (String part : zone.split("/", -1)) {
      if (part.equals(".") || part.equals("..") || part.startsWith("-") || !ZONE_PART.matcher(part).matches()) {
        return "unknown time zone " + zone;
      }
    }
    if (zone.equalsIgnoreCase("Local")) return "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones";
    if (zone.equals("UTC")) return null;
    try {
      // region ids only: Java also takes offsets ("+02:00") that Go's LoadLocation does not
      if (!ZoneId.getAvailableZoneIds().contains(zone)) return "unknown time zone " + zone;
      ZoneId.of(zone);
      return null;
    } catch (DateTimeException e) {
      return "unknown time zone " + zone;
    }
  }

  /** The concurrency policies a CronJob may have. */
  public static final List<String> CONCURRENCY_POLICIES = List.of("Allow", "Forbid", "Replace");
}
