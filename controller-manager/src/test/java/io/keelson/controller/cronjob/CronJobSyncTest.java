package io.keelson.controller.cronjob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.keelson.controller.job.JobConditions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CronJobSyncTest {
  static final ZoneId UTC = ZoneOffset.UTC;

  static Instant t(String s) {
    return Instant.parse(s);
  }

  static CronJob cronJob(String schedule, String created, String lastSchedule) {
    CronJob cj = new CronJobBuilder()
        .withNewMetadata().withName("backup").withNamespace("default").withUid("cj-uid").withCreationTimestamp(created).endMetadata()
        .withNewSpec().withSchedule(schedule).withNewJobTemplate().withNewMetadata().addToLabels("app", "backup").endMetadata()
        .withNewSpec().withNewTemplate().withNewSpec().withRestartPolicy("Never").endSpec().endTemplate().endSpec().endJobTemplate()
        .endSpec()
        .withNewStatus().withLastScheduleTime(lastSchedule).endStatus()
        .build();
    cj.getStatus().setActive(new ArrayList<>());
    return cj;
  }

  static Stream<Arguments> nextTimes() {
    return Stream.of(
        Arguments.of("*/5 * * * *", "UTC", "2026-11-28T10:02:10Z", "2026-11-28T10:05:00Z"),
        Arguments.of("*/5 * * * *", "UTC", "2026-11-28T10:05:00Z", "2026-11-28T10:10:00Z"), // strictly after
        Arguments.of("@hourly", "UTC", "2026-11-28T10:02:00Z", "2026-11-28T11:00:00Z"),
        Arguments.of("@daily", "UTC", "2026-11-28T10:02:00Z", "2026-11-29T00:00:00Z"),
        Arguments.of("@midnight", "UTC", "2026-11-28T10:02:00Z", "2026-11-29T00:00:00Z"),
        Arguments.of("@weekly", "UTC", "2026-11-28T10:02:00Z", "2026-11-29T00:00:00Z"), // Sunday
        Arguments.of("@monthly", "UTC", "2026-11-28T10:02:00Z", "2026-12-01T00:00:00Z"),
        Arguments.of("@yearly", "UTC", "2026-11-28T10:02:00Z", "2027-01-01T00:00:00Z"),
        Arguments.of("@annually", "UTC", "2026-11-28T10:02:00Z", "2027-01-01T00:00:00Z"),
        Arguments.of("0 9 * * 1-5", "UTC", "2026-11-28T10:02:00Z", "2026-11-30T09:00:00Z"), // Saturday -> Monday
        Arguments.of("0 9 * * *", "America/New_York", "2026-11-28T10:02:00Z", "2026-11-28T14:00:00Z"), // 09:00 EST
        Arguments.of("30 2 * * *", "Europe/Berlin", "2026-11-28T10:02:00Z", "2026-11-29T01:30:00Z"),
        Arguments.of("@every 90s", "UTC", "2026-11-28T10:02:00.400Z", "2026-11-28T10:03:30Z"),
        Arguments.of("@every 1h30m", "UTC", "2026-11-28T10:02:00Z", "2026-11-28T11:32:00Z"),
        Arguments.of("@every 500ms", "UTC", "2026-11-28T10:02:00Z", "2026-11-28T10:02:01Z"), // sub-second: every second
        Arguments.of("0 12 ? * *", "UTC", "2026-11-28T10:02:00Z", "2026-11-28T12:00:00Z"),
        Arguments.of("0 0 13 * 5", "UTC", "2026-11-28T10:02:00Z", "2026-12-04T00:00:00Z"), // the 13th or a Friday (cron's OR)
        Arguments.of("0 0 13 * *", "UTC", "2026-11-28T10:02:00Z", "2026-12-13T00:00:00Z"));
  }

  @ParameterizedTest(name = "{0} in {1} after {2} -> {3}")
  @MethodSource("nextTimes")
  void nextScheduleTime(String schedule, String zone, String after, String next) {
    assertThat(Schedule.parse(schedule).next(t(after), ZoneId.of(zone))).isEqualTo(t(next));
  }

  @Test
  void rejectsWhatIsNotASchedule() {
    for (String bad : List.of("", "* * * *", "61 * * * *", "@fortnightly", "@every soon")) {
      assertThatThrownBy(() -> Schedule.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void jobNameIsTheScheduledTimeInMinutes() {
    assertThat(CronJobSync.jobName("backup", t("2026-11-28T10:05:00Z"))).isEqualTo("backup-" + t("2026-11-28T10:05:00Z").getEpochSecond() / 60);
    assertThat(CronJobSync.jobName("hello", Instant.ofEpochSecond(60 * 29_000_000L))).isEqualTo("hello-29000000");
  }

  static Stream<Arguments> dueTimes() {
    return Stream.of(
        // schedule, created, lastSchedule, startingDeadlineSeconds, now -> due (null: none), missed
        Arguments.of("*/5 * * * *", "2026-11-28T10:01:00Z", null, null, "2026-11-28T10:04:00Z", null, 0),
        Arguments.of("*/5 * * * *", "2026-11-28T10:01:00Z", null, null, "2026-11-28T10:07:00Z", "2026-11-28T10:05:00Z", 1),
        Arguments.of("*/5 * * * *", "2026-11-28T09:00:00Z", "2026-11-28T10:00:00Z", null, "2026-11-28T10:17:00Z", "2026-11-28T10:15:00Z", 3),
        // a deadline of 60 s: 10:05 is too old at 10:07:30, and nothing later is due yet
        Arguments.of("*/5 * * * *", "2026-11-28T07:00:00Z", "2026-11-28T07:00:00Z", 60L, "2026-11-28T10:07:30Z", null, 0),
        Arguments.of("*/5 * * * *", "2026-11-28T07:00:00Z", "2026-11-28T07:00:00Z", 200L, "2026-11-28T10:07:30Z", "2026-11-28T10:05:00Z", 1),
        // a day of minutes missed: the latest is still found
        Arguments.of("* * * * *", "2026-11-27T10:00:30Z", null, null, "2026-11-28T10:00:30Z", "2026-11-28T10:00:00Z", 1440));
  }

  @ParameterizedTest(name = "{0} created {1} last {2} deadline {3} at {4} -> {5} ({6} missed)")
  @MethodSource("dueTimes")
  void mostRecentUnmetScheduleTime(String schedule, String created, String last, Long sds, String now, String due, long missed) {
    CronJob cj = cronJob(schedule, created, last);
    cj.getSpec().setStartingDeadlineSeconds(sds);
    var d = CronJobSync.mostRecent(cj, Schedule.parse(schedule), UTC, t(now));
    assertThat(d.time()).isEqualTo(due == null ? null : t(due));
    if (missed <= 100) assertThat(d.missed()).isEqualTo(missed);
    else assertThat(d.missed()).isGreaterThan(100);
  }

  @Test
  void startsTheDueJobAndRequeuesAtTheNextTime() {
    CronJob cj = cronJob("*/5 * * * *", "2026-11-28T10:01:00Z", null);
    var d = CronJobSync.decide(cj, t("2026-11-28T10:07:00Z"), UTC);
    assertThat(d.scheduled()).isEqualTo(t("2026-11-28T10:05:00Z"));
    assertThat(d.replaceActive()).isFalse();
    assertThat(d.requeueAfter()).isEqualTo(Duration.ofMinutes(3).plusMillis(100));
    // already started for 10:05: nothing more until 10:10
    cj.getStatus().setLastScheduleTime("2026-11-28T10:05:00Z");
    d = CronJobSync.decide(cj, t("2026-11-28T10:07:00Z"), UTC);
    assertThat(d.scheduled()).isNull();
    assertThat(d.requeueAfter()).isEqualTo(Duration.ofMinutes(3).plusMillis(100));
  }

  @Test
  void tooManyMissedTimesIsReportedAndTheLatestStillStarts() {
    CronJob cj = cronJob("* * * * *", "2026-11-27T10:00:30Z", null);
    var d = CronJobSync.decide(cj, t("2026-11-28T10:00:30Z"), UTC);
    assertThat(d.scheduled()).isEqualTo(t("2026-11-28T10:00:00Z"));
    assertThat(d.events()).anySatisfy(e -> assertThat(e[1]).isEqualTo("TooManyMissedTimes"));
  }

  static Stream<Arguments> concurrency() {
    return Stream.of(
        // policy, active jobs -> starts, replaces, event
        Arguments.of("Allow", 1, true, false, null),
        Arguments.of(null, 1, true, false, null),
        Arguments.of("Forbid", 0, true, false, null),
        Arguments.of("Forbid", 1, false, false, "JobAlreadyActive"),
        Arguments.of("Replace", 1, true, true, null),
        Arguments.of("Replace", 0, true, false, null));
  }

  @ParameterizedTest(name = "{0} with {1} active -> start {2}, replace {3}")
  @MethodSource("concurrency")
  void concurrencyPolicy(String policy, int active, boolean starts, boolean replaces, String event) {
    CronJob cj = cronJob("*/5 * * * *", "2026-11-28T10:01:00Z", null);
    cj.getSpec().setConcurrencyPolicy(policy);
    for (int i = 0; i < active; i++) {
      cj.getStatus().getActive().add(new ObjectReferenceBuilder().withName("backup-old-" + i).withUid("u" + i).build());
    }
    var d = CronJobSync.decide(cj, t("2026-11-28T10:07:00Z"), UTC);
    assertThat(d.scheduled() != null).isEqualTo(starts);
    assertThat(d.replaceActive()).isEqualTo(replaces);
    if (event != null) assertThat(d.events()).anySatisfy(e -> assertThat(e[1]).isEqualTo(event));
    else assertThat(d.events()).isEmpty();
  }

  @Test
  void suspendedStartsNothingAndDoesNotRequeue() {
    CronJob cj = cronJob("*/5 * * * *", "2026-11-28T10:01:00Z", null);
    cj.getSpec().setSuspend(true);
    var d = CronJobSync.decide(cj, t("2026-11-28T10:07:00Z"), UTC);
    assertThat(d.scheduled()).isNull();
    assertThat(d.requeueAfter()).isNull();
  }

  @Test
  void aDueTimeOlderThanTheStartingDeadlineIsNotStarted() {
    CronJob cj = cronJob("*/5 * * * *", "2026-11-28T10:01:00Z", null);
    cj.getSpec().setStartingDeadlineSeconds(10L);
    var d = CronJobSync.decide(cj, t("2026-11-28T10:05:05Z"), UTC);
    assertThat(d.scheduled()).isEqualTo(t("2026-11-28T10:05:00Z"));
    assertThat(CronJobSync.decide(cj, t("2026-11-28T10:05:30Z"), UTC).scheduled()).isNull();
  }

  @Test
  void badScheduleOrZoneIsAnEventNotARetry() {
    CronJob cj = cronJob("not a schedule", "2026-11-28T10:01:00Z", null);
    var d = CronJobSync.decide(cj, t("2026-11-28T10:07:00Z"), UTC);
    assertThat(d.events()).anySatisfy(e -> assertThat(e[1]).isEqualTo("UnparseableSchedule"));
    assertThat(d.requeueAfter()).isNull();
    cj = cronJob("*/5 * * * *", "2026-11-28T10:01:00Z", null);
    cj.getSpec().setTimeZone("Mars/Olympus");
    d = CronJobSync.decide(cj, t("2026-11-28T10:07:00Z"), UTC);
    assertThat(d.events()).anySatisfy(e -> assertThat(e[1]).isEqualTo("UnknownTimeZone"));
  }

  @Test
  void theJobComesFromTheTemplateWithTheScheduledTimestamp() {
    CronJob cj = cronJob("0 9 * * *", "2026-11-28T10:01:00Z", null);
    cj.setApiVersion("batch/v1");
    cj.setKind("CronJob");
    Job job = CronJobController.jobFor(cj, t("2026-11-28T14:00:00Z"), ZoneId.of("America/New_York"));
    assertThat(job.getMetadata().getName()).isEqualTo(CronJobSync.jobName("backup", t("2026-11-28T14:00:00Z")));
    assertThat(job.getMetadata().getLabels()).containsEntry("app", "backup");
    assertThat(job.getMetadata().getAnnotations()).containsEntry(CronJobSync.SCHEDULED_TIMESTAMP, "2026-11-28T09:00:00-05:00");
    assertThat(job.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("CronJob");
    assertThat(job.getMetadata().getOwnerReferences().get(0).getController()).isTrue();
    assertThat(job.getSpec().getTemplate().getSpec().getRestartPolicy()).isEqualTo("Never");
  }

  static Job finished(String name, String type, String start) {
    return new JobBuilder()
        .withNewMetadata().withName(name).withUid(name).withCreationTimestamp(start).endMetadata()
        .withNewStatus().withStartTime(start)
        .addToConditions(JobConditions.condition(type, "True", null, null, t(start)))
        .endStatus()
        .build();
  }

  @Test
  void historyKeepsTheNewestFinishedJobsPerOutcome() {
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 5; i++) jobs.add(finished("ok-" + i, "Complete", "2026-11-28T10:0" + i + ":00Z"));
    for (int i = 0; i < 3; i++) jobs.add(finished("bad-" + i, "Failed", "2026-11-28T11:0" + i + ":00Z"));
    jobs.add(new JobBuilder().withNewMetadata().withName("running").endMetadata().build());
    List<String> gone = CronJobSync.historyToDelete(jobs, 3, 1).stream().map(j -> j.getMetadata().getName()).toList();
    assertThat(gone).containsExactlyInAnyOrder("ok-0", "ok-1", "bad-0", "bad-1");
    assertThat(CronJobSync.historyToDelete(jobs, null, null)).isEmpty();
    assertThat(CronJobSync.historyToDelete(jobs, 0, 0)).hasSize(8);
  }
}
