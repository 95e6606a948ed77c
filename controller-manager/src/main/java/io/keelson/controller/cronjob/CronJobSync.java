package io.keelson.controller.cronjob;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.keelson.controller.job.JobConditions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The CronJob controller's schedule decisions as pure functions of the CronJob, its Jobs and the
 * time (kube's cronjob_controllerv2 syncCronJob and utils.go): which scheduled time is due, whether
 * concurrencyPolicy lets it start, when to look again, and which finished Jobs history drops.
 */
public final class CronJobSync {
  public static final String SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp";
  /** More missed start times than this is reported (kube's TooManyMissedTimes threshold). */
  static final int TOO_MANY_MISSED = 100;
  /** Requeues land just after the scheduled second, as kube's nextScheduleTimeDuration does. */
  static final Duration SLACK = Duration.ofMillis(100);

  private CronJobSync() {}

  /** The most recent unmet schedule time (null: none due yet) and how many were missed. */
  public record Due(Instant time, long missed) {}

  /**
   * What to do now.
   *
   * @param scheduled the time to create a Job for, or null
   * @param replaceActive delete the active Jobs first (concurrencyPolicy Replace)
   * @param requeueAfter when to look again (the next schedule time), or null
   */
  public record Decision(Instant scheduled, boolean replaceActive, List<String[]> events, Duration requeueAfter) {}

  /** "{cronjob}-{scheduled unix minutes}": the same scheduled time always names the same Job. */
  public static String jobName(String cronJobName, Instant scheduled) {
    return cronJobName + "-" + (scheduled.getEpochSecond() / 60);
  }

  /** The zone a CronJob's schedule is read in: spec.timeZone, else the controller-manager's own. */
  public static ZoneId zone(CronJob cj, ZoneId local) {
    String tz = cj.getSpec().getTimeZone();
    return tz == null || tz.isEmpty() ? local : ZoneId.of(tz);
  }

  /**
   * The latest schedule time in (earliest, now], where earliest is the last schedule time (else
   * the creation time), raised to now - startingDeadlineSeconds when that is later.
   */
  public static Due mostRecent(CronJob cj, Schedule schedule, ZoneId zone, Instant now) {
    Instant earliest = cj.getStatus() != null && cj.getStatus().getLastScheduleTime() != null
        ? Instant.parse(cj.getStatus().getLastScheduleTime())
        : Instant.parse(cj.getMetadata().getCreationTimestamp());
    Long sds = cj.getSpec().getStartingDeadlineSeconds();
    if (sds != null) {
      Instant deadline = now.minusSeconds(sds);
      if (deadline.isAfter(earliest)) earliest = deadline;
    }
    Instant t = schedule.next(earliest, zone);
    if (t == null || t.isAfter(now)) return new Due(null, 0);
    Instant latest = t;
    long missed = 1;
    // Walk the schedule; far behind, jump by the interval (kube's approximation), then walk again.
    while (true) {
      Instant n = schedule.next(latest, zone);
      if (n == null || n.isAfter(now)) return new Due(latest, missed);
      if (missed == TOO_MANY_MISSED) {
        long interval = Duration.between(latest, n).getSeconds();
        if (interval >= 1) {
          long steps = Duration.between(latest, now).getSeconds() / interval;
          if (steps > 2) {
            Instant jumpFrom = latest.plusSeconds((steps - 2) * interval);
            Instant j = schedule.next(jumpFrom, zone);
            if (j != null && !j.isAfter(now)) {
              missed += steps - 2;
              latest = j;
              continue;
            }
          }
        }
      }
      latest = n;
      missed++;
    }
  }

  public static Decision decide(CronJob cj, Instant now, ZoneId local) {
    List<String[]> events = new ArrayList<>();
    if (cj.getMetadata().getDeletionTimestamp() != null) return new Decision(null, false, events, null);
    ZoneId zone;
    try {
      zone = zone(cj, local);
    } catch (RuntimeException e) {
      events.add(new String[] {"Warning", "UnknownTimeZone", "invalid timeZone: \"" + cj.getSpec().getTimeZone() + "\": " + e.getMessage()});
      return new Decision(null, false, events, null);
    }
    if (Boolean.TRUE.equals(cj.getSpec().getSuspend())) return new Decision(null, false, events, null);
    Schedule schedule;
    try {
      schedule = Schedule.parse(cj.getSpec().getSchedule());
    } catch (IllegalArgumentException e) {
      events.add(new String[] {"Warning", "UnparseableSchedule", "unparseable schedule: \"" + cj.getSpec().getSchedule() + "\" : " + e.getMessage()});
      return new Decision(null, false, events, null);
    }
    Instant next = schedule.next(now, zone);
    Duration requeue = next == null ? null : Duration.between(now, next).plus(SLACK);
    Due due = mostRecent(cj, schedule, zone, now);
    if (due.time() == null) return new Decision(null, false, events, requeue);
    if (due.missed() > TOO_MANY_MISSED) {
      events.add(new String[] {"Warning", "TooManyMissedTimes",
          "too many missed start times: " + due.missed() + ". Set or decrease .spec.startingDeadlineSeconds or check clock skew"});
    }
    Long sds = cj.getSpec().getStartingDeadlineSeconds();
    if (sds != null && due.time().plusSeconds(sds).isBefore(now)) {
      events.add(new String[] {"Warning", "MissSchedule",
          "Missed scheduled time to start a job: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(due.time().atZone(ZoneOffset.UTC))});
      return new Decision(null, false, events, requeue);
    }
    List<ObjectReference> active = cj.getStatus() == null || cj.getStatus().getActive() == null ? List.of() : cj.getStatus().getActive();
    String name = jobName(cj.getMetadata().getName(), due.time());
    boolean seen = active.stream().anyMatch(r -> name.equals(r.getName()))
        || (cj.getStatus() != null && cj.getStatus().getLastScheduleTime() != null
            && Instant.parse(cj.getStatus().getLastScheduleTime()).equals(due.time()));
    if (seen) return new Decision(null, false, events, requeue);
    String policy = cj.getSpec().getConcurrencyPolicy() == null ? "Allow" : cj.getSpec().getConcurrencyPolicy();
    if (policy.equals("Forbid") && !active.isEmpty()) {
      events.add(new String[] {"Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid"});
      return new Decision(null, false, events, requeue);
    }
    return new Decision(due.time(), policy.equals("Replace") && !active.isEmpty(), events, requeue);
  }

  /**
   * The finished Jobs to delete so that at most successfulJobsHistoryLimit Complete and
   * failedJobsHistoryLimit Failed ones remain (oldest first by start time); a nil limit keeps all.
   */
  public static List<Job> historyToDelete(List<Job> jobs, Integer successfulLimit, Integer failedLimit) {
    List<Job> out = new ArrayList<>();
    List<Job> succeeded = new ArrayList<>();
    List<Job> failed = new ArrayList<>();
    for (Job j : jobs) {
      String t = JobConditions.finishedType(j);
      if (JobConditions.COMPLETE.equals(t)) succeeded.add(j);
      else if (JobConditions.FAILED.equals(t)) failed.add(j);
    }
    oldestBeyond(succeeded, successfulLimit, out);
    oldestBeyond(failed, failedLimit, out);
    return out;
  }

  private static void oldestBeyond(List<Job> jobs, Integer limit, List<Job> out) {
    if (limit == null || jobs.size() <= limit) return;
    jobs.sort(Comparator.comparing(CronJobSync::startedAt).thenComparing(j -> j.getMetadata().getName()));
    out.addAll(jobs.subList(0, jobs.size() - Math.max(0, limit)));
  }

  private static Instant startedAt(Job j) {
    String t = j.getStatus() != null && j.getStatus().getStartTime() != null
        ? j.getStatus().getStartTime()
        : j.getMetadata().getCreationTimestamp();
    return t == null ? Instant.EPOCH : Instant.parse(t);
  }
}
