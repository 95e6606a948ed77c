package io.keelson.controller.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.SelfSignedTls;
import io.keelson.controller.ControllerManager;
import io.keelson.controller.testing.TestControllerManager;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Job controller against the in-memory API (the real controller-manager, its informers and
 * status writes): the test plays the kubelet, driving the Job's pods to Succeeded or Failed, and
 * the Job's counters and conditions must follow.
 */
class JobControllerTest {
  static final String NS = "default";
  InMemoryApiServer api;
  ControllerManager manager;

  @BeforeEach
  void start() throws Exception {
    api = InMemoryApiServer.start((SelfSignedTls) null);
    manager = TestControllerManager.against(api, 2, "job", "ttl-after-finished");
    manager.start();
  }

  @AfterEach
  void stop() {
    // the server first: it ends the watches, which a client-side close would wait for
    if (api != null) api.close();
    if (manager != null) manager.close();
  }

  /** A Job as the api-server stores it after defaulting (generated selector and labels). */
  static String job(String name, int parallelism, int completions, int backoffLimit, String extraSpec) {
    String uidLabel = "\"batch.kubernetes.io/controller-uid\":\"uid-" + name + "\",\"batch.kubernetes.io/job-name\":\"" + name + "\"";
    return "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NS + "\"},"
        + "\"spec\":{\"parallelism\":" + parallelism + ",\"completions\":" + completions + ",\"backoffLimit\":" + backoffLimit
        + ",\"completionMode\":\"NonIndexed\"" + extraSpec
        + ",\"selector\":{\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"uid-" + name + "\"}},"
        + "\"template\":{\"metadata\":{\"labels\":{" + uidLabel + "}},"
        + "\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"main\",\"image\":\"busybox\"}]}}}}";
  }

  List<Pod> pods(String job) {
    return manager.client().pods().inNamespace(NS).list().getItems().stream()
        .filter(p -> p.getMetadata().getOwnerReferences() != null
            && p.getMetadata().getOwnerReferences().stream().anyMatch(r -> r.getName().equals(job)))
        .toList();
  }

  Job get(String name) {
    return manager.client().batch().v1().jobs().inNamespace(NS).withName(name).get();
  }

  void finish(Pod pod, String phase) {
    api.update("pods", NS, pod.getMetadata().getName(), o -> {
      ((ObjectNode) o).putObject("status").put("phase", phase);
      return o;
    });
  }

  /** An Indexed Job with backoffLimitPerIndex, its backoffLimit defaulted as the api-server does. */
  static String indexedJob(String name, int parallelism, int completions, int backoffLimitPerIndex, String extraSpec) {
    return job(name, parallelism, completions, Integer.MAX_VALUE,
            ",\"backoffLimitPerIndex\":" + backoffLimitPerIndex + extraSpec)
        .replace("\"completionMode\":\"NonIndexed\"", "\"completionMode\":\"Indexed\"");
  }

  List<Pod> podsOf(String job, int index) {
    return pods(job).stream().filter(p -> JobSync.completionIndex(p) == index).toList();
  }

  /** The index's pod the kubelet has not finished yet. */
  Pod running(String job, int index) {
    return podsOf(job, index).stream().filter(p -> p.getStatus() == null || p.getStatus().getPhase() == null).findFirst().orElse(null);
  }

  /** The kubelet's report of a failed container that exited long enough ago for any backoff to be over. */
  void fail(Pod pod, int exitCode) {
    api.update("pods", NS, pod.getMetadata().getName(), o -> {
      ObjectNode status = ((ObjectNode) o).putObject("status");
      status.put("phase", "Failed");
      ObjectNode terminated = status.putArray("containerStatuses").addObject().put("name", "main")
          .putObject("state").putObject("terminated");
      terminated.put("exitCode", exitCode).put("finishedAt", java.time.Instant.now().minusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
      return o;
    });
  }

  static String annotation(Pod p, String key) {
    return p.getMetadata().getAnnotations() == null ? null : p.getMetadata().getAnnotations().get(key);
  }

  static boolean hasCondition(Job job, String type) {
    return job != null && job.getStatus() != null && JobConditions.isTrue(job.getStatus().getConditions(), type);
  }

  @Test
  void podsSucceedAndTheJobCompletes() {
    api.create("jobs.batch", job("pi", 2, 3, 6, ""));
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("pi").size() == 2);
    for (Pod p : pods("pi")) {
      assertThat(p.getMetadata().getFinalizers()).contains(JobSync.TRACKING_FINALIZER);
      assertThat(p.getMetadata().getName()).startsWith("pi-");
      assertThat(p.getMetadata().getOwnerReferences().get(0).getController()).isTrue();
      assertThat(p.getMetadata().getLabels()).containsEntry("batch.kubernetes.io/job-name", "pi");
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> get("pi").getStatus() != null && Integer.valueOf(2).equals(get("pi").getStatus().getActive()));
    assertThat(get("pi").getStatus().getStartTime()).isNotNull();
    // kubectl describe job shows "From: job-controller", as in kube
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(manager.client().v1().events().inNamespace(NS).list().getItems())
        .filteredOn(e -> "SuccessfulCreate".equals(e.getReason()) && "pi".equals(e.getInvolvedObject().getName()))
        .isNotEmpty().allSatisfy(e -> assertThat(e.getSource().getComponent()).isEqualTo("job-controller")));

    pods("pi").forEach(p -> finish(p, "Succeeded"));
    // counted once the finalizers are gone, and the third completion is started
    await().atMost(Duration.ofSeconds(20)).until(() -> Integer.valueOf(2).equals(get("pi").getStatus().getSucceeded()));
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("pi").size() == 3);
    for (Pod p : pods("pi")) {
      if ("Succeeded".equals(p.getStatus() == null ? null : p.getStatus().getPhase())) {
        assertThat(p.getMetadata().getFinalizers()).doesNotContain(JobSync.TRACKING_FINALIZER);
      }
    }
    pods("pi").stream().filter(p -> p.getStatus() == null || p.getStatus().getPhase() == null).forEach(p -> finish(p, "Succeeded"));
    await().atMost(Duration.ofSeconds(20)).until(() -> hasCondition(get("pi"), JobConditions.COMPLETE));
    Job done = get("pi");
    assertThat(done.getStatus().getSucceeded()).isEqualTo(3);
    assertThat(done.getStatus().getFailed()).isZero();
    assertThat(done.getStatus().getActive()).isZero();
    assertThat(done.getStatus().getCompletionTime()).isNotNull();
    assertThat(JobConditions.isTrue(done.getStatus().getConditions(), JobConditions.SUCCESS_CRITERIA_MET)).isTrue();
    assertThat(done.getStatus().getUncountedTerminatedPods().getSucceeded()).isEmpty();
    assertThat(pods("pi")).hasSize(3);
  }

  @Test
  void failuresBeyondTheBackoffLimitFailTheJob() {
    api.create("jobs.batch", job("flaky", 1, 1, 0, ""));
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("flaky").size() == 1);
    finish(pods("flaky").get(0), "Failed");
    await().atMost(Duration.ofSeconds(20)).until(() -> hasCondition(get("flaky"), JobConditions.FAILED));
    Job failed = get("flaky");
    assertThat(failed.getStatus().getFailed()).isEqualTo(1);
    var c = JobConditions.find(failed.getStatus().getConditions(), JobConditions.FAILED);
    assertThat(c.getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(c.getMessage()).isEqualTo("Job has reached the specified backoff limit");
    assertThat(JobConditions.isTrue(failed.getStatus().getConditions(), JobConditions.FAILURE_TARGET)).isTrue();
    assertThat(failed.getStatus().getCompletionTime()).isNull();
    assertThat(pods("flaky")).hasSize(1); // no replacement
    assertThat(pods("flaky").get(0).getMetadata().getFinalizers()).doesNotContain(JobSync.TRACKING_FINALIZER);
  }

  @Test
  void aFinishedJobWithATtlIsDeleted() {
    api.create("jobs.batch", job("short", 1, 1, 6, ",\"ttlSecondsAfterFinished\":1"));
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("short").size() == 1);
    finish(pods("short").get(0), "Succeeded");
    await().atMost(Duration.ofSeconds(20)).until(() -> get("short") == null);
  }

  @Test
  void suspendedJobRunsNothingUntilResumed() {
    api.create("jobs.batch", job("later", 2, 2, 6, ",\"suspend\":true"));
    await().atMost(Duration.ofSeconds(20)).until(() -> hasCondition(get("later"), JobConditions.SUSPENDED));
    assertThat(JobConditions.find(get("later").getStatus().getConditions(), JobConditions.SUSPENDED).getReason()).isEqualTo("JobSuspended");
    assertThat(pods("later")).isEmpty();
    assertThat(get("later").getStatus().getStartTime()).isNull();
    api.update("jobs.batch", NS, "later", o -> {
      ((ObjectNode) o.path("spec")).put("suspend", false);
      return o;
    });
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("later").size() == 2);
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      var c = JobConditions.find(get("later").getStatus().getConditions(), JobConditions.SUSPENDED);
      return c != null && "False".equals(c.getStatus()) && "JobResumed".equals(c.getReason()) && get("later").getStatus().getStartTime() != null;
    });
  }

  @Test
  void podsOfADeletedJobLoseTheTrackingFinalizer() {
    api.create("jobs.batch", job("gone", 2, 2, 6, ""));
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("gone").size() == 2);
    api.delete("jobs.batch", NS, "gone"); // no garbage collector here: the pods stay, but must not stay stuck
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("gone").stream().noneMatch(JobSync::hasTrackingFinalizer));
  }

  @Test
  void anIndexFailingPastItsLimitIsFailedWhileTheOthersCompleteAndTheJobFails() {
    api.create("jobs.batch", indexedJob("perix", 3, 3, 1, ""));
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("perix").size() == 3);
    for (Pod p : pods("perix")) assertThat(annotation(p, IndexFailures.FAILURE_COUNT)).isEqualTo("0");

    Pod first = running("perix", 1);
    fail(first, 1);
    // one failure of index 1 is within its limit: a replacement counts it
    await().atMost(Duration.ofSeconds(20)).until(() -> running("perix", 1) != null);
    Pod replacement = running("perix", 1);
    assertThat(annotation(replacement, IndexFailures.FAILURE_COUNT)).isEqualTo("1");
    // the failed pod is released (and counted) once its replacement runs
    await().atMost(Duration.ofSeconds(20)).until(() -> podsOf("perix", 1).stream()
        .filter(p -> p.getMetadata().getUid().equals(first.getMetadata().getUid())).noneMatch(JobSync::hasTrackingFinalizer));

    fail(replacement, 1);
    await().atMost(Duration.ofSeconds(20)).until(() -> "1".equals(get("perix").getStatus().getFailedIndexes()));
    finish(running("perix", 0), "Succeeded");
    finish(running("perix", 2), "Succeeded");
    await().atMost(Duration.ofSeconds(20)).until(() -> hasCondition(get("perix"), JobConditions.FAILED));
    Job done = get("perix");
    var c = JobConditions.find(done.getStatus().getConditions(), JobConditions.FAILED);
    assertThat(c.getReason()).isEqualTo("FailedIndexes");
    assertThat(c.getMessage()).isEqualTo("Job has failed indexes");
    assertThat(done.getStatus().getFailedIndexes()).isEqualTo("1");
    assertThat(done.getStatus().getCompletedIndexes()).isEqualTo("0,2");
    assertThat(done.getStatus().getSucceeded()).isEqualTo(2);
    assertThat(done.getStatus().getFailed()).isEqualTo(2);
    assertThat(podsOf("perix", 1)).hasSize(2); // the failed index was not retried again
    assertThat(pods("perix")).noneMatch(JobSync::hasTrackingFinalizer);
  }

  @Test
  void moreFailedIndexesThanMaxFailedIndexesFailTheJobEarly() {
    api.create("jobs.batch", indexedJob("capped", 2, 4, 0, ",\"maxFailedIndexes\":0"));
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("capped").size() == 2);
    fail(running("capped", 0), 1);
    await().atMost(Duration.ofSeconds(20)).until(() -> hasCondition(get("capped"), JobConditions.FAILED));
    Job done = get("capped");
    var c = JobConditions.find(done.getStatus().getConditions(), JobConditions.FAILED);
    assertThat(c.getReason()).isEqualTo("MaxFailedIndexesExceeded");
    assertThat(c.getMessage()).isEqualTo("Job has exceeded the specified maximal number of failed indexes");
    assertThat(done.getStatus().getFailedIndexes()).isEqualTo("0");
    // index 1's pod was stopped and indexes 2 and 3 never started
    assertThat(pods("capped")).extracting(JobSync::completionIndex).doesNotContain(2, 3);
    assertThat(podsOf("capped", 1)).allMatch(p -> p.getMetadata().getDeletionTimestamp() != null);
  }

  @Test
  void aFailIndexRuleFailsTheIndexAtOnceAndAnIgnoreRuleCountsApart() {
    String policy = ",\"podFailurePolicy\":{\"rules\":["
        + "{\"action\":\"FailIndex\",\"onExitCodes\":{\"operator\":\"In\",\"values\":[42]}},"
        + "{\"action\":\"Ignore\",\"onExitCodes\":{\"operator\":\"In\",\"values\":[7]}}]}";
    api.create("jobs.batch", indexedJob("rules", 2, 2, 3, policy));
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("rules").size() == 2);
    fail(running("rules", 0), 42);
    fail(running("rules", 1), 7);
    await().atMost(Duration.ofSeconds(20)).until(() -> "0".equals(get("rules").getStatus().getFailedIndexes()));
    await().atMost(Duration.ofSeconds(20)).until(() -> running("rules", 1) != null);
    Pod replacement = running("rules", 1);
    // the ignored failure does not use up the index's limit, but is counted apart
    assertThat(annotation(replacement, IndexFailures.FAILURE_COUNT)).isEqualTo("0");
    assertThat(annotation(replacement, IndexFailures.IGNORED_FAILURE_COUNT)).isEqualTo("1");
    assertThat(podsOf("rules", 0)).hasSize(1); // failed at once despite backoffLimitPerIndex 3
    finish(replacement, "Succeeded");
    await().atMost(Duration.ofSeconds(20)).until(() -> hasCondition(get("rules"), JobConditions.FAILED));
    Job done = get("rules");
    assertThat(JobConditions.find(done.getStatus().getConditions(), JobConditions.FAILED).getReason()).isEqualTo("FailedIndexes");
    assertThat(done.getStatus().getFailed()).isEqualTo(1); // the ignored failure is not counted
    assertThat(done.getStatus().getCompletedIndexes()).isEqualTo("1");
  }
}
