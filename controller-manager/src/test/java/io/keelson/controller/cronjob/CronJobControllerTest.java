package io.keelson.controller.cronjob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.SelfSignedTls;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * The CronJob controller against the in-memory API with a clock the test moves: Jobs appear for
 * due times, status.active and lastSuccessfulTime follow the Jobs, Forbid holds a run back, and
 * history beyond the limit is deleted.
 */
class CronJobControllerTest {
  static final String NS = "default";
  InMemoryApiServer api;
  KubernetesClient client;
  Informers informers;
  EventRecorder events;
  CronJobController controller;
  final AtomicReference<Instant> now = new AtomicReference<>();

  @BeforeEach
  void start() throws Exception {
    api = InMemoryApiServer.start((SelfSignedTls) null);
    var kubeconfig = api.writeKubeconfig(Files.createTempDirectory("cronjob-test").resolve("kubeconfig"));
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString())).build();
    informers = new Informers(client);
    events = new EventRecorder(client, "test");
    Clock clock = new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return now.get();
      }
    };
    now.set(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    controller = new CronJobController(informers, events, new SimpleMeterRegistry(), 1, clock, ZoneOffset.UTC);
    informers.startAndSync(Duration.ofSeconds(20));
    controller.controllers().forEach(Controller::start);
  }

  @AfterEach
  void stop() {
    api.close();
    controller.controllers().forEach(Controller::stop);
    informers.stop();
    events.close();
    client.close();
  }

  static String cronJob(String name, String policy, int successfulHistory) {
    return "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NS + "\"},"
        + "\"spec\":{\"schedule\":\"* * * * *\",\"concurrencyPolicy\":\"" + policy + "\",\"successfulJobsHistoryLimit\":" + successfulHistory
        + ",\"failedJobsHistoryLimit\":1,"
        + "\"jobTemplate\":{\"metadata\":{\"labels\":{\"app\":\"" + name + "\"}},\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"Never\","
        + "\"containers\":[{\"name\":\"main\",\"image\":\"busybox\"}]}}}}}}";
  }

  List<Job> jobs() {
    return client.batch().v1().jobs().inNamespace(NS).list().getItems();
  }

  CronJob get(String name) {
    return client.batch().v1().cronjobs().inNamespace(NS).withName(name).get();
  }

  /** Moves the clock to the next minute boundary plus a few seconds and pokes the controller. */
  void nextMinute(String name) {
    Instant t = now.get();
    now.set(t.minusSeconds(t.getEpochSecond() % 60).plusSeconds(65));
    controller.controllers().get(0).enqueue(NS + "/" + name);
  }

  void complete(Job job) {
    String at = now.get().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    api.update("jobs.batch", NS, job.getMetadata().getName(), o -> {
      ObjectNode status = ((ObjectNode) o).putObject("status");
      status.put("completionTime", at).put("startTime", at).put("succeeded", 1);
      status.putArray("conditions").addObject().put("type", "Complete").put("status", "True").put("lastTransitionTime", at);
      return o;
    });
  }

  @Test
  void startsJobsOnScheduleTracksThemAndPrunesHistory() {
    api.create("cronjobs.batch", cronJob("tick", "Forbid", 1));
    nextMinute("tick");
    await().atMost(Duration.ofSeconds(20)).until(() -> jobs().size() == 1);
    Job first = jobs().get(0);
    Instant due = now.get().minusSeconds(now.get().getEpochSecond() % 60);
    assertThat(first.getMetadata().getName()).isEqualTo(CronJobSync.jobName("tick", due));
    assertThat(first.getMetadata().getLabels()).containsEntry("app", "tick");
    assertThat(first.getMetadata().getAnnotations()).containsKey(CronJobSync.SCHEDULED_TIMESTAMP);
    assertThat(first.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("CronJob");
    await().atMost(Duration.ofSeconds(20)).until(() -> get("tick").getStatus() != null && get("tick").getStatus().getActive().size() == 1);
    assertThat(get("tick").getStatus().getLastScheduleTime()).isEqualTo(due.toString());

    // Forbid: the next minute comes while the first Job still runs
    nextMinute("tick");
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> jobs().size() == 1);

    // once it finished, the held-back run starts (no startingDeadlineSeconds: late is still fine)
    complete(first);
    await().atMost(Duration.ofSeconds(20)).until(() -> jobs().size() == 2);
    await().atMost(Duration.ofSeconds(20)).until(() -> get("tick").getStatus().getLastSuccessfulTime() != null
        && get("tick").getStatus().getActive().size() == 1);
    Job second = jobs().stream().filter(j -> !j.getMetadata().getName().equals(first.getMetadata().getName())).findFirst().orElseThrow();
    now.set(now.get().plusSeconds(5));
    complete(second);
    // successfulJobsHistoryLimit 1: the older finished Job goes
    await().atMost(Duration.ofSeconds(20)).until(() -> jobs().size() == 1
        && jobs().get(0).getMetadata().getName().equals(second.getMetadata().getName()));
  }
}
