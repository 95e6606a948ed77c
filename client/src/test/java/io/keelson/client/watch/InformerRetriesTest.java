package io.keelson.client.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An api-server that fails the first list of Services (as a loaded one times out): an informer made
 * by {@link InformerRetries#forever} lists again and syncs; fabric8's default gives up for good.
 */
class InformerRetriesTest {
  HttpServer api;
  KubernetesClient client;
  final AtomicInteger lists = new AtomicInteger();

  @BeforeEach
  void setUp() throws IOException {
    api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    api.createContext("/api/v1/services", exchange -> {
      boolean watch = exchange.getRequestURI().getQuery() != null && exchange.getRequestURI().getQuery().contains("watch=true");
      if (watch) {
        exchange.sendResponseHeaders(200, -1); // an empty watch that ends at once: the informer re-watches
      } else if (lists.incrementAndGet() == 1) {
        byte[] body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":500,\"message\":\"etcdserver: request timed out\"}"
            .getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(500, body.length);
        exchange.getResponseBody().write(body);
      } else {
        byte[] body = "{\"kind\":\"ServiceList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[]}"
            .getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
      exchange.close();
    });
    api.start();
    client = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
        .withMasterUrl("http://127.0.0.1:" + api.getAddress().getPort())
        .withRequestRetryBackoffLimit(0)
        .withWatchReconnectInterval(100)
        .build()).build();
  }

  @AfterEach
  void tearDown() {
    client.close();
    api.stop(0);
  }

  @Test
  void anInformerWhoseFirstListFailsListsAgainAndSyncs() {
    SharedIndexInformer<Service> informer = InformerRetries.forever(client.services().inAnyNamespace().runnableInformer(0));
    informer.start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(informer::hasSynced);
      assertThat(lists.get()).isGreaterThanOrEqualTo(2);
    } finally {
      informer.stop();
    }
  }

  @Test
  void fabric8sDefaultGivesUpAfterAFailedFirstList() {
    SharedIndexInformer<Service> informer = client.services().inAnyNamespace().runnableInformer(0);
    informer.start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> lists.get() >= 1 && !informer.isRunning());
      assertThat(informer.hasSynced()).as("why InformerRetries.forever exists").isFalse();
    } finally {
      informer.stop();
    }
  }
}
