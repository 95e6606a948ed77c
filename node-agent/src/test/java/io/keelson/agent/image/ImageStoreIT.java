package io.keelson.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image store against a real docker-registry and the real busybox image layout. */
class ImageStoreIT {

  static LocalRegistry registry;
  @TempDir static Path registryDir;
  @TempDir Path images;

  @BeforeAll
  static void startRegistry() throws Exception {
    String why = TestImages.missing() != null ? TestImages.missing() : LocalRegistry.missing();
    if (why != null) {
      System.out.println("SKIP ImageStoreIT: " + why);
    }
    assumeTrue(why == null, why);
    registry = LocalRegistry.start(registryDir);
    registry.pushBusybox();
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void pullsFromRegistryAndUnpacksAFlattenedRootfs() throws Exception {
    ImageStore store = new ImageStore(images, RegistryHosts.empty());
    Image one = store.ensure(registry.address() + "/busybox:1", PullPolicy.IF_NOT_PRESENT);
    Image two = store.ensure(registry.address() + "/busybox:2", PullPolicy.IF_NOT_PRESENT);
    assertThat(one.id()).isNotEqualTo(two.id());
    assertThat(one.layers().get(0)).isEqualTo(two.layers().get(0)); // shared base layer, stored once
    assertThat(one.config().labels()).containsEntry("io.keelson.image.version", "1");
    assertThat(one.config().cmd()).containsExactly("sh");
    assertThat(one.imageId()).isEqualTo(registry.address() + "/busybox@" + one.manifestDigest());

    Path rootfs = store.rootfs(one);
    assertThat(rootfs.resolve("etc/keelson-version")).hasContent("1");
    assertThat(Files.readSymbolicLink(rootfs.resolve("bin/sh")).toString()).isEqualTo("busybox");
    assertThat(Files.isExecutable(rootfs.resolve("bin/busybox"))).isTrue();
    assertThat(store.rootfs(two).resolve("etc/keelson-version")).hasContent("2");
    assertThat(store.list()).extracting(i -> i.reference().tag()).containsExactlyInAnyOrder("1", "2");
  }

  @Test
  void policiesDecideWhetherTheRegistryIsAsked() throws Exception {
    ImageStore store = new ImageStore(images, RegistryHosts.empty());
    String ref = registry.address() + "/busybox:latest";
    assertThatThrownBy(() -> store.ensure(ref, PullPolicy.NEVER))
        .isInstanceOf(ImagePullException.class)
        .hasMessageContaining("not present with pull policy of Never")
        .extracting(e -> ((ImagePullException) e).reason()).isEqualTo("ErrImageNeverPull");
    Image pulled = store.ensure(ref, PullPolicy.ALWAYS);
    assertThat(store.ensure(ref, PullPolicy.NEVER)).isEqualTo(pulled);
    // with the registry gone, IfNotPresent still works from the store and Always fails with the reason
    ImageStore offline = new ImageStore(images, new RegistryHosts(java.util.Map.of(registry.address(),
        new RegistryHosts.Settings(true, List.of("http://127.0.0.1:" + freePort()), null, null))));
    assertThat(offline.ensure(ref, PullPolicy.IF_NOT_PRESENT).manifestDigest()).isEqualTo(pulled.manifestDigest());
  }

  @Test
  void missingImageReportsTheRegistryReason() throws Exception {
    ImageStore store = new ImageStore(images, RegistryHosts.empty());
    assertThatThrownBy(() -> store.ensure(registry.address() + "/does-not-exist:1", PullPolicy.IF_NOT_PRESENT))
        .isInstanceOf(ImagePullException.class)
        .hasMessageContaining("manifest unknown")
        .extracting(e -> ((ImagePullException) e).reason()).isEqualTo("ErrImagePull");
    assertThatThrownBy(() -> store.ensure("127.0.0.1:" + freePort() + "/busybox:1", PullPolicy.IF_NOT_PRESENT))
        .isInstanceOf(ImagePullException.class)
        .hasMessageContaining("connection refused");
    assertThatThrownBy(() -> store.ensure("Bad:Name", PullPolicy.IF_NOT_PRESENT))
        .extracting(e -> ((ImagePullException) e).reason()).isEqualTo("InvalidImageName");
  }

  @Test
  void mirrorsAreTriedFirst() throws Exception {
    // docker.io is unreachable here; the mirror (our registry) serves library/... names
    TestImages.run("skopeo", "copy", "--quiet", "--dest-tls-verify=false",
        "oci:" + TestImages.busyboxLayout() + ":keelson.local/busybox:2", "docker://" + registry.address() + "/library/busybox:mirrored");
    ImageStore store = new ImageStore(images, new RegistryHosts(java.util.Map.of("docker.io",
        new RegistryHosts.Settings(false, List.of("http://" + registry.address()), null, null))));
    Image img = store.ensure("busybox:mirrored", PullPolicy.ALWAYS);
    assertThat(img.reference().toString()).isEqualTo("docker.io/library/busybox:mirrored");
    assertThat(store.rootfs(img).resolve("etc/keelson-version")).hasContent("2");
  }

  @Test
  void preloadedLayoutsAndArchivesServeKeelsonLocal() throws Exception {
    TestImages.preloadBusybox(images);
    Path preload = images.resolve("preload");
    TestImages.run("skopeo", "copy", "--quiet", "oci:" + TestImages.busyboxLayout() + ":keelson.local/busybox:1",
        "docker-archive:" + preload.resolve("saved.tar") + ":keelson.local/saved:v1");
    TestImages.run("skopeo", "copy", "--quiet", "oci:" + TestImages.busyboxLayout() + ":keelson.local/busybox:2",
        "oci-archive:" + preload.resolve("ociarch.tar") + ":v7");
    ImageStore store = ImageStore.open(images);

    Image latest = store.ensure("keelson.local/busybox:latest", PullPolicy.ALWAYS);
    assertThat(store.rootfs(latest).resolve("bin/busybox")).exists();
    assertThat(store.rootfs(latest).resolve("etc/keelson-version")).doesNotExist();
    Image saved = store.ensure("keelson.local/saved:v1", PullPolicy.IF_NOT_PRESENT);
    assertThat(store.rootfs(saved).resolve("etc/keelson-version")).hasContent("1");
    Image oci = store.ensure("keelson.local/ociarch:v7", PullPolicy.IF_NOT_PRESENT);
    assertThat(store.rootfs(oci).resolve("etc/keelson-version")).hasContent("2");

    assertThatThrownBy(() -> store.ensure("keelson.local/does-not-exist:1", PullPolicy.IF_NOT_PRESENT))
        .isInstanceOf(ImagePullException.class)
        .hasMessageContaining("not found");
  }

  @Test
  void containerRootfsIsAPrivateWritableLayer() throws Exception {
    TestImages.preloadBusybox(images);
    ImageStore store = ImageStore.open(images);
    Image img = store.ensure("keelson.local/busybox:1", PullPolicy.IF_NOT_PRESENT);
    RootfsMounter mounter = RootfsMounter.probe(images.resolve("tmp"));
    Path c1 = Files.createDirectories(images.resolve("c1"));
    Path rootfs = mounter.mount(store.taskImage(img).layers(), c1);
    Files.writeString(rootfs.resolve("etc/keelson-version"), "mine");
    assertThat(store.rootfs(img).resolve("etc/keelson-version")).hasContent("1");
    assertThat(mounter.mount(store.taskImage(img).layers(), c1)).isEqualTo(rootfs); // idempotent
    mounter.release(c1);
    assertThat(RootfsMounter.isMountPoint(rootfs)).isFalse();
    assertThat(rootfs).doesNotExist();
    System.out.println("overlayfs used: " + mounter.usesOverlay());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void bearerTokenAuthAndManifestListsLikeDockerHub() throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String base = "http://" + registry.address() + "/v2/busybox/manifests/";
    String[] digests = new String[2];
    long[] sizes = new long[2];
    for (int i = 0; i < 2; i++) {
      var head = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + (i + 1)))
          .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody())
          .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(), java.net.http.HttpResponse.BodyHandlers.discarding());
      digests[i] = head.headers().firstValue("Docker-Content-Digest").orElseThrow();
      sizes[i] = head.headers().firstValueAsLong("Content-Length").orElseThrow();
    }
    String index = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"platform":{"architecture":"arm64","os":"linux"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"platform":{"architecture":"amd64","os":"linux"}}]}
        """.formatted(digests[1], sizes[1], digests[0], sizes[0]);
    var put = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "multi"))
        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(index))
        .header("Content-Type", "application/vnd.oci.image.index.v1+json").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);

    try (TokenAuthProxy proxy = TokenAuthProxy.start(registry.address(), "alice", "s3cret")) {
      ImageStore store = new ImageStore(images, new RegistryHosts(java.util.Map.of(proxy.address(),
          new RegistryHosts.Settings(true, List.of(), "alice", "s3cret"))));
      Image img = store.ensure(proxy.address() + "/busybox:multi", PullPolicy.ALWAYS);
      assertThat(img.manifestDigest()).isEqualTo(digests[0]); // linux/amd64 picked from the index
      assertThat(store.rootfs(img).resolve("etc/keelson-version")).hasContent("1");
      assertThat(proxy.challenges()).isPositive();
      assertThat(proxy.tokensIssued()).isPositive();

      ImageStore anonymous = new ImageStore(images.resolve("anon"), RegistryHosts.empty());
      assertThatThrownBy(() -> anonymous.ensure(proxy.address() + "/busybox:1", PullPolicy.ALWAYS))
          .hasMessageContaining("unauthorized");
    }
  }
}
