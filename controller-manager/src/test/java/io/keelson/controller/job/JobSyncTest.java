package io.keelson.controller.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JobSyncTest {
  static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
  private static int uids;

  static Job job(Integer parallelism, Integer completions) {
    return new JobBuilder()
        .withNewMetadata().withName("pi").withNamespace("default").withUid("job-uid").endMetadata()
        .withNewSpec()
        .withParallelism(parallelism)
        .withCompletions(completions)
        .withBackoffLimit(6)
        .withNewTemplate().withNewSpec().withRestartPolicy("Never").endSpec().endTemplate()
        .endSpec()
        .build();
  }

  static Pod pod(String phase) {
    return new PodBuilder()
        .withNewMetadata().withName("pi-" + uids).withNamespace("default").withUid("pod-" + (++uids))
        .withFinalizers(JobSync.TRACKING_FINALIZER).withCreationTimestamp(NOW.minusSeconds(uids).toString()).endMetadata()
        .withNewSpec().endSpec()
        .withNewStatus().withPhase(phase).endStatus()
        .build();
  }

  static List<Pod> pods(int running, int succeeded, int failed) {
    List<Pod> out = new ArrayList<>();
    for (int i = 0; i < running; i++) out.add(pod("Running"));
    for (int i = 0; i < succeeded; i++) out.add(pod("Succeeded"));
    for (int i = 0; i < failed; i++) out.add(pod("Failed"));
    return out;
  }

  static JobSync.Context ctx() {
    return new JobSync.Context(NOW, true, Set.of(), PodFailureBackoff.NONE);
  }

  static Stream<Arguments> wantedActive() {
    return Stream.of(
        // parallelism, completions, running, already succeeded (counted) -> creates, deletes
        Arguments.of(1, 1, 0, 0, 1, 0),
        Arguments.of(2, 5, 0, 0, 2, 0),
        Arguments.of(5, 3, 0, 0, 3, 0), // never more than the remaining completions
        Arguments.of(4, 5, 1, 3, 1, 0), // 2 remaining, 1 running
        Arguments.of(2, 5, 3, 0, 0, 1), // parallelism lowered: surplus goes
        Arguments.of(3, null, 0, 0, 3, 0), // work queue: parallelism pods
        Arguments.of(3, null, 2, 1, 0, 0), // once one succeeded: no new pods, none deleted
        Arguments.of(0, 4, 2, 0, 0, 2)); // parallelism 0 pauses
  }

  @ParameterizedTest(name = "parallelism={0} completions={1} running={2} succeeded={3} -> create {4}, delete {5}")
  @MethodSource("wantedActive")
  void createsUpToTheWantedActivePods(Integer parallelism, Integer completions, int running, int succeeded, int creates, int deletes) {
    Job job = job(parallelism, completions);
    job.setStatus(new JobStatus());
    job.getStatus().setSucceeded(succeeded);
    var plan = JobSync.plan(job, pods(running, 0, 0), ctx());
    assertThat(plan.createIndexes()).hasSize(creates);
    assertThat(plan.deleteUncounted()).hasSize(deletes);
    assertThat(plan.status().getActive()).isEqualTo(running + creates - deletes);
  }

  @Test
  void waitsForTheCacheBeforeCreatingMore() {
    var plan = JobSync.plan(job(2, 2), List.of(), new JobSync.Context(NOW, false, Set.of(), PodFailureBackoff.NONE));
    assertThat(plan.createIndexes()).isEmpty();
  }

  @Test
  void finishedPodsAreRecordedUncountedThenCountedOnceTheirFinalizerIsGone() {
    Job job = job(2, 2);
    List<Pod> pods = pods(1, 1, 0);
    Pod done = pods.get(1);
    var plan = JobSync.plan(job, pods, ctx());
    // written first: the uid, not yet the count
    assertThat(plan.status().getUncountedTerminatedPods().getSucceeded()).containsExactly(done.getMetadata().getUid());
    assertThat(plan.status().getSucceeded()).isZero();
    assertThat(plan.removeFinalizer()).containsExactly(done);
    assertThat(plan.createIndexes()).isEmpty(); // 1 running + 1 succeeded = 2 completions

    // finalizer removal failed: still uncounted
    JobStatus kept = JobSync.mutableCopy(plan.status());
    JobSync.finish(job, kept, Set.of(done.getMetadata().getUid(), pods.get(0).getMetadata().getUid()), plan, NOW);
    assertThat(kept.getSucceeded()).isZero();
    assertThat(kept.getUncountedTerminatedPods().getSucceeded()).hasSize(1);

    // finalizer removed: counted exactly once
    JobStatus after = JobSync.mutableCopy(plan.status());
    JobSync.finish(job, after, Set.of(pods.get(0).getMetadata().getUid()), plan, NOW);
    assertThat(after.getSucceeded()).isEqualTo(1);
    assertThat(after.getUncountedTerminatedPods().getSucceeded()).isEmpty();

    // the next pass sees a stale pod that still shows the finalizer, but its removal is pending
    job.setStatus(after);
    var next = JobSync.plan(job, pods, new JobSync.Context(NOW, true, Set.of(done.getMetadata().getUid()), PodFailureBackoff.NONE));
    assertThat(next.status().getSucceeded()).isEqualTo(1);
    assertThat(next.status().getUncountedTerminatedPods().getSucceeded()).isEmpty();
    assertThat(next.removeFinalizer()).isEmpty();
  }

  @Test
  void anUncountedPodThatIsGoneIsCounted() {
    Job job = job(1, 1);
    JobStatus s = new JobStatus();
    s.setUncountedTerminatedPods(new io.fabric8.kubernetes.api.model.batch.v1.UncountedTerminatedPods(List.of("gone-1"), List.of("gone-2")));
    job.setStatus(s);
    var plan = JobSync.plan(job, List.of(), ctx());
    assertThat(plan.status().getSucceeded()).isEqualTo(1);
    assertThat(plan.status().getFailed()).isEqualTo(1);
    assertThat(plan.status().getUncountedTerminatedPods().getFailed()).isEmpty();
  }

  @Test
  void aRunningPodDeletedByOthersCountsAsFailed() {
    Pod p = pod("Running");
    p.getMetadata().setDeletionTimestamp(NOW.toString());
    var plan = JobSync.plan(job(1, 1), List.of(p), ctx());
    assertThat(plan.status().getUncountedTerminatedPods().getFailed()).containsExactly(p.getMetadata().getUid());
    assertThat(plan.status().getTerminating()).isEqualTo(1);
    // replaced (podReplacementPolicy TerminatingOrFailed), after the failure back-off
    assertThat(plan.createIndexes()).isEmpty();
    assertThat(plan.requeueAfter()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void completesWithInterimConditionThenComplete() {
    Job job = job(1, 2);
    job.setStatus(new JobStatus());
    job.getStatus().setSucceeded(2);
    job.getStatus().setStartTime(NOW.minusSeconds(30).toString());
    var plan = JobSync.plan(job, List.of(), ctx());
    assertThat(JobConditions.isTrue(plan.status().getConditions(), JobConditions.SUCCESS_CRITERIA_MET)).isTrue();
    assertThat(JobConditions.find(plan.status().getConditions(), JobConditions.COMPLETE)).isNull();
    JobStatus after = JobSync.mutableCopy(plan.status());
    List<String[]> events = JobSync.finish(job, after, Set.of(), plan, NOW);
    assertThat(JobConditions.isTrue(after.getConditions(), JobConditions.COMPLETE)).isTrue();
    assertThat(after.getCompletionTime()).isEqualTo("2026-11-28T12:00:00Z");
    assertThat(events).anySatisfy(e -> assertThat(e).containsExactly("Normal", "Completed", "Job completed"));
  }

  @Test
  void workQueueJobCompletesWhenAllPodsFinished() {
    Job job = job(2, null);
    job.setStatus(new JobStatus());
    job.getStatus().setSucceeded(1);
    assertThat(JobSync.plan(job, pods(1, 0, 0), ctx()).terminal()).isNull();
    assertThat(JobSync.plan(job, List.of(), ctx()).terminal().getType()).isEqualTo(JobConditions.COMPLETE);
  }

  @Test
  void backoffLimitExceededFailsTheJobAndDeletesActivePods() {
    Job job = job(2, 5);
    job.getSpec().setBackoffLimit(1);
    job.setStatus(new JobStatus());
    job.getStatus().setFailed(1);
    List<Pod> pods = pods(1, 0, 1);
    var plan = JobSync.plan(job, pods, ctx());
    JobCondition target = JobConditions.find(plan.status().getConditions(), JobConditions.FAILURE_TARGET);
    assertThat(target.getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(target.getMessage()).isEqualTo("Job has reached the specified backoff limit");
    assertThat(plan.deleteKeepingFinalizer()).containsExactly(pods.get(0));
    assertThat(plan.createIndexes()).isEmpty();
    // Failed only once nothing is terminating any more
    JobStatus after = JobSync.mutableCopy(plan.status());
    JobSync.finish(job, after, Set.of(), plan, NOW);
    assertThat(JobConditions.find(after.getConditions(), JobConditions.FAILED)).isNull();

    job.setStatus(after);
    var last = JobSync.plan(job, List.of(), ctx());
    JobStatus done = JobSync.mutableCopy(last.status());
    List<String[]> events = JobSync.finish(job, done, Set.of(), last, NOW);
    assertThat(JobConditions.find(done.getConditions(), JobConditions.FAILED).getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(done.getCompletionTime()).isNull();
    assertThat(events).anySatisfy(e -> assertThat(e).containsExactly("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit"));
  }

  @Test
  void backoffLimitIsNotExceededAtTheLimit() {
    Job job = job(1, 5);
    job.getSpec().setBackoffLimit(2);
    var plan = JobSync.plan(job, pods(0, 0, 2), ctx());
    assertThat(JobConditions.find(plan.status().getConditions(), JobConditions.FAILURE_TARGET)).isNull();
  }

  @Test
  void containerRestartsCountWithRestartPolicyOnFailure() {
    Job job = job(1, 1);
    job.getSpec().setBackoffLimit(3);
    job.getSpec().getTemplate().getSpec().setRestartPolicy("OnFailure");
    Pod p = pod("Running");
    p.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder().withName("c").withRestartCount(3).build()));
    var plan = JobSync.plan(job, List.of(p), ctx());
    assertThat(JobConditions.find(plan.status().getConditions(), JobConditions.FAILURE_TARGET).getReason()).isEqualTo("BackoffLimitExceeded");
    job.getSpec().getTemplate().getSpec().setRestartPolicy("Never");
    assertThat(JobConditions.find(JobSync.plan(job, List.of(p), ctx()).status().getConditions(), JobConditions.FAILURE_TARGET)).isNull();
  }

  static Stream<Arguments> backoffDelays() {
    return Stream.of(
        Arguments.of(0, Duration.ZERO),
        Arguments.of(1, Duration.ofSeconds(10)),
        Arguments.of(2, Duration.ofSeconds(20)),
        Arguments.of(3, Duration.ofSeconds(40)),
        Arguments.of(6, Duration.ofSeconds(320)),
        Arguments.of(7, Duration.ofMinutes(10)),
        Arguments.of(40, Duration.ofMinutes(10)));
  }

  @ParameterizedTest(name = "{0} failures -> {1}")
  @MethodSource("backoffDelays")
  void backoffDoublesFromTenSeconds(int failures, Duration delay) {
    assertThat(PodFailureBackoff.delay(failures)).isEqualTo(delay);
  }

  @Test
  void newPodsWaitForTheBackoffAfterAFailure() {
    Job job = job(1, 3);
    Pod failed = pod("Failed");
    var plan = JobSync.plan(job, List.of(failed), ctx());
    assertThat(plan.createIndexes()).isEmpty();
    assertThat(plan.requeueAfter()).isEqualTo(Duration.ofSeconds(10));
    assertThat(plan.backoff().failuresAfterLastSuccess()).isEqualTo(1);
    // 10 s later the pod is replaced
    var later = JobSync.plan(job, List.of(), new JobSync.Context(NOW.plusSeconds(10), true, Set.of(), plan.backoff()));
    assertThat(later.createIndexes()).hasSize(1);
    // a success resets the count
    assertThat(plan.backoff().after(List.of(pod("Succeeded")), List.of(), NOW).remaining(NOW)).isZero();
  }

  @Test
  void activeDeadlineFailsTheJobOrRequeuesAtIt() {
    Job job = job(1, 1);
    job.getSpec().setActiveDeadlineSeconds(100L);
    job.setStatus(new JobStatus());
    job.getStatus().setStartTime(NOW.minusSeconds(40).toString());
    List<Pod> running = pods(1, 0, 0);
    var plan = JobSync.plan(job, running, ctx());
    assertThat(plan.requeueAfter()).isEqualTo(Duration.ofSeconds(60));
    job.getStatus().setStartTime(NOW.minusSeconds(100).toString());
    plan = JobSync.plan(job, running, ctx());
    JobCondition target = JobConditions.find(plan.status().getConditions(), JobConditions.FAILURE_TARGET);
    assertThat(target.getReason()).isEqualTo("DeadlineExceeded");
    assertThat(target.getMessage()).isEqualTo("Job was active longer than specified deadline");
    assertThat(plan.deleteKeepingFinalizer()).hasSize(1);
  }

  @Test
  void suspendDeletesActivePodsAndResumeRestartsTheClock() {
    Job job = job(2, 4);
    job.getSpec().setSuspend(true);
    job.setStatus(new JobStatus());
    job.getStatus().setStartTime(NOW.minusSeconds(500).toString());
    List<Pod> running = pods(2, 0, 0);
    var plan = JobSync.plan(job, running, ctx());
    assertThat(plan.deleteUncounted()).hasSize(2);
    assertThat(plan.createIndexes()).isEmpty();
    assertThat(plan.status().getActive()).isZero();
    JobCondition suspended = JobConditions.find(plan.status().getConditions(), JobConditions.SUSPENDED);
    assertThat(suspended.getStatus()).isEqualTo("True");
    assertThat(suspended.getReason()).isEqualTo("JobSuspended");
    assertThat(plan.events()).anySatisfy(e -> assertThat(e).containsExactly("Normal", "Suspended", "Job suspended"));
    assertThat(plan.removeFinalizer()).isEmpty(); // suspended pods are not counted as failures

    job.setStatus(plan.status());
    job.getSpec().setSuspend(false);
    var resumed = JobSync.plan(job, List.of(), ctx());
    JobCondition c = JobConditions.find(resumed.status().getConditions(), JobConditions.SUSPENDED);
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("JobResumed");
    assertThat(resumed.status().getStartTime()).isEqualTo(NOW.toString());
    assertThat(resumed.createIndexes()).hasSize(2);
  }

  @Test
  void aJobCreatedSuspendedHasNoStartTime() {
    Job job = job(1, 1);
    job.getSpec().setSuspend(true);
    assertThat(JobSync.plan(job, List.of(), ctx()).status().getStartTime()).isNull();
  }

  @Test
  void indexedJobCreatesMissingIndexesAndRecordsCompletedOnes() {
    Job job = job(2, 4);
    job.getSpec().setCompletionMode("Indexed");
    Pod zero = pod("Succeeded");
    zero.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of(JobSync.COMPLETION_INDEX, "0")));
    Pod two = pod("Running");
    two.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of(JobSync.COMPLETION_INDEX, "2")));
    var plan = JobSync.plan(job, List.of(zero, two), ctx());
    assertThat(plan.createIndexes()).containsExactly(1);
    assertThat(plan.status().getCompletedIndexes()).isEqualTo("0");
    assertThat(plan.status().getSucceeded()).isEqualTo(1);
    assertThat(plan.status().getUncountedTerminatedPods().getSucceeded()).isEmpty(); // the index is the record
    assertThat(plan.removeFinalizer()).containsExactly(zero);
  }

  @Test
  void indexedPodCarriesIndexAnnotationEnvAndHostname() {
    Job job = job(1, 3);
    job.getSpec().setCompletionMode("Indexed");
    job.getSpec().getTemplate().getSpec().setContainers(List.of(new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("c").build()));
    Pod p = JobController.podFor(job, 2);
    assertThat(p.getMetadata().getName()).startsWith("pi-2-");
    assertThat(p.getMetadata().getAnnotations()).containsEntry(JobSync.COMPLETION_INDEX, "2");
    assertThat(p.getMetadata().getFinalizers()).containsExactly(JobSync.TRACKING_FINALIZER);
    assertThat(p.getSpec().getHostname()).isEqualTo("pi-2");
    assertThat(p.getSpec().getContainers().get(0).getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("JOB_COMPLETION_INDEX"));
    assertThat(p.getMetadata().getOwnerReferences().get(0).getController()).isTrue();
    assertThat(p.getMetadata().getOwnerReferences().get(0).getBlockOwnerDeletion()).isTrue();
  }

  @Test
  void completedIndexesRoundTrip() {
    // kube writes two neighbours as "6,7", longer runs as ranges
    assertThat(CompletedIndexes.format(new java.util.TreeSet<>(List.of(0, 1, 2, 4, 6, 7)))).isEqualTo("0-2,4,6,7");
    assertThat(CompletedIndexes.parse("0-2,4,6-7")).containsExactly(0, 1, 2, 4, 6, 7);
    assertThat(CompletedIndexes.format(new java.util.TreeSet<>())).isEmpty();
  }

  @Test
  void perIndexBackoffDelaysOnlyTheFailedIndexAndKeepsItsPodUntilReplaced() {
    Job job = job(2, 2);
    job.getSpec().setCompletionMode("Indexed");
    job.getSpec().setBackoffLimitPerIndex(2);
    Pod failed = pod("Failed");
    failed.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of(
        JobSync.COMPLETION_INDEX, "0", IndexFailures.FAILURE_COUNT, "1")));
    failed.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder().withName("main")
        .withNewState().withNewTerminated().withExitCode(1).withFinishedAt(NOW.minusSeconds(5).toString()).endTerminated().endState().build()));
    var plan = JobSync.plan(job, List.of(failed), ctx());
    // index 1 starts now; index 0's second failure waits 20 s (10 s doubled), 5 s of which have passed
    assertThat(plan.createIndexes()).containsExactly(1);
    assertThat(plan.requeueAfter()).isEqualTo(Duration.ofSeconds(15));
    assertThat(plan.removeFinalizer()).doesNotContain(failed);
    assertThat(plan.status().getUncountedTerminatedPods().getFailed()).isEmpty();
    assertThat(plan.replacing()).containsEntry(0, failed);
    assertThat(IndexFailures.annotationsFor(job, failed)).containsEntry(IndexFailures.FAILURE_COUNT, "2");
    assertThat(plan.status().getFailedIndexes()).isEmpty();
  }

  @Test
  void anUnchangedStatusIsNotRewritten() {
    Job job = job(1, 1);
    List<Pod> running = pods(1, 0, 0);
    job.setStatus(JobSync.plan(job, running, ctx()).status());
    assertThat(JobSync.sameStatus(JobSync.plan(job, running, ctx()).status(), job.getStatus())).isTrue();
    JobStatus sparse = new JobStatus();
    sparse.setUncountedTerminatedPods(null);
    sparse.setConditions(null);
    assertThat(JobSync.sameStatus(sparse, new JobStatus())).isTrue();
  }

  static Pod failedWithExitCode(int code) {
    Pod p = pod("Failed");
    p.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder().withName("main")
        .withNewState().withNewTerminated().withExitCode(code).endTerminated().endState().build()));
    return p;
  }

  static io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicy policy() {
    return new io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyBuilder()
        .addNewRule().withAction("FailJob").withNewOnExitCodes().withContainerName("main").withOperator("In").withValues(42).endOnExitCodes().endRule()
        .addNewRule().withAction("Ignore").addNewOnPodCondition().withType("DisruptionTarget").endOnPodCondition().endRule()
        .build();
  }

  @Test
  void podFailurePolicyFailJobFailsAtOnce() {
    Job job = job(2, 4);
    job.getSpec().setPodFailurePolicy(policy());
    Pod p = failedWithExitCode(42);
    var plan = JobSync.plan(job, List.of(p, pod("Running")), ctx());
    JobCondition target = JobConditions.find(plan.status().getConditions(), JobConditions.FAILURE_TARGET);
    assertThat(target.getReason()).isEqualTo("PodFailurePolicy");
    assertThat(target.getMessage()).isEqualTo("Container main for pod default/" + p.getMetadata().getName()
        + " failed with exit code 42 matching FailJob rule at index 0");
    assertThat(plan.deleteKeepingFinalizer()).hasSize(1);
    // another exit code is an ordinary failure
    assertThat(JobConditions.find(JobSync.plan(job, List.of(failedWithExitCode(1)), ctx()).status().getConditions(), JobConditions.FAILURE_TARGET)).isNull();
  }

  @Test
  void podFailurePolicyIgnoreDoesNotCountTheFailure() {
    Job job = job(1, 1);
    job.getSpec().setBackoffLimit(0);
    job.getSpec().setPodFailurePolicy(policy());
    Pod p = pod("Failed");
    p.getStatus().setConditions(List.of(new io.fabric8.kubernetes.api.model.PodConditionBuilder().withType("DisruptionTarget").withStatus("True").build()));
    var plan = JobSync.plan(job, List.of(p), ctx());
    assertThat(JobConditions.find(plan.status().getConditions(), JobConditions.FAILURE_TARGET)).isNull();
    assertThat(plan.status().getUncountedTerminatedPods().getFailed()).isEmpty();
    assertThat(plan.removeFinalizer()).containsExactly(p);
  }

  @Test
  void podReplacementPolicyFailedWaitsForTerminatingPods() {
    Job job = job(1, 1);
    job.getSpec().setPodReplacementPolicy("Failed");
    Pod p = pod("Running");
    p.getMetadata().setDeletionTimestamp(NOW.toString());
    var plan = JobSync.plan(job, List.of(p), ctx());
    assertThat(plan.createIndexes()).isEmpty();
    assertThat(plan.requeueAfter()).isNull();
    assertThat(plan.status().getUncountedTerminatedPods().getFailed()).isEmpty();
    assertThat(plan.status().getTerminating()).isEqualTo(1);
  }

  static Pod indexedPod(String phase, int index) {
    Pod p = pod(phase);
    p.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of(JobSync.COMPLETION_INDEX, Integer.toString(index))));
    return p;
  }

  @Test
  void successPolicyCompletesAnIndexedJobEarlyAndRemovesTheRest() {
    Job job = job(3, 3);
    job.getSpec().setCompletionMode("Indexed");
    job.getSpec().setSuccessPolicy(new io.fabric8.kubernetes.api.model.batch.v1.SuccessPolicyBuilder()
        .addNewRule().withSucceededIndexes("0").endRule().build());
    Pod leader = indexedPod("Succeeded", 0);
    Pod worker = indexedPod("Running", 1);
    var plan = JobSync.plan(job, List.of(leader, worker), ctx());
    JobCondition met = JobConditions.find(plan.status().getConditions(), JobConditions.SUCCESS_CRITERIA_MET);
    assertThat(met.getReason()).isEqualTo("SuccessPolicy");
    assertThat(met.getMessage()).isEqualTo("Matched rules at index 0");
    assertThat(plan.deleteKeepingFinalizer()).containsExactly(worker);
    assertThat(plan.createIndexes()).isEmpty();
    assertThat(plan.terminal().getType()).isEqualTo(JobConditions.COMPLETE);
  }

  static Stream<Arguments> successRules() {
    return Stream.of(
        // succeededIndexes, succeededCount, succeeded -> met
        Arguments.of("0-2", null, List.of(0, 1), false),
        Arguments.of("0-2", null, List.of(0, 1, 2), true),
        Arguments.of("0-2", 2, List.of(0, 2, 5), true),
        Arguments.of(null, 3, List.of(4, 5), false),
        Arguments.of(null, 3, List.of(4, 5, 7), true));
  }

  @ParameterizedTest(name = "indexes={0} count={1} succeeded={2} -> {3}")
  @MethodSource("successRules")
  void successPolicyRules(String indexes, Integer count, List<Integer> succeeded, boolean met) {
    Job job = job(1, 10);
    job.getSpec().setSuccessPolicy(new io.fabric8.kubernetes.api.model.batch.v1.SuccessPolicyBuilder()
        .addNewRule().withSucceededIndexes(indexes).withSucceededCount(count).endRule().build());
    assertThat(JobSync.matchSuccessPolicy(job, new java.util.HashSet<>(succeeded)) != null).isEqualTo(met);
  }
}
