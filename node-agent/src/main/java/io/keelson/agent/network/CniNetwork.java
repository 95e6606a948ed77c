package io.keelson.agent.network;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.PodNetwork;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Pod networking on one node with the standard CNI plugins (Debian's containernetworking-plugins):
 * every pod sandbox gets a network namespace (bind-mounted at {@code <stateDir>/netns/<sandboxId>}) with
 * {@code lo} up and an {@code eth0} veth on the node's bridge, addressed by host-local IPAM from the
 * node's pod CIDR. The bridge holds the CIDR's first address as the pods' gateway, so pods reach
 * each other and the node (and the node reaches them). No masquerading: cross-node routing is
 * someone else's job.
 *
 * <p>Names are unique per node and state dir, so several agents in one network namespace don't
 * collide, not even two clusters' {@code node-1}s on one host (each with its own pod CIDR): the
 * bridge is {@code kb-<hash(node@stateDir)>}, the CNI network {@code keelson-<hash(node@stateDir)>},
 * and IPAM state lives in this agent's state dir. In lab mode each agent has its own network
 * namespace and thus its own bridge anyway.
 *
 * <p>{@link #setUp} and {@link #tearDown} are idempotent; the CNI result is cached in the state dir
 * so that an agent restart finds the same IP.
 *
 * <p>Networks can also be set up ahead of pods ({@link #addPooled}, kept filled by {@link
 * NetworkPool}) under a pool id of their own ({@code pool-<hex>}, the CNI container id they were
 * added with) and handed to a sandbox later ({@link #claim}): their record moves from {@code
 * pool/} to the sandbox's result file in one rename and keeps the CNI container id and namespace
 * path, so that {@link #tearDown} deletes them with the id they were added with, also after an
 * agent restart. Unfinished pool entries (agent killed during CNI ADD) and entries whose namespace
 * is gone are removed when the next agent starts.
 */
public final class CniNetwork {

  public static final Path DEFAULT_CNI_BIN = Path.of("/usr/lib/cni");
  private static final Logger log = LoggerFactory.getLogger(CniNetwork.class);
  private static final String CNI_VERSION = "1.0.0";

  private final String nodeName;
  private final Path stateDir;
  private final Path cniBin;
  private final String bridge;
  private final String networkName;
  private final JsonMapper json = JsonMapper.builder().build();
  /** Sandboxes whose namespace {@link #createNamespace} made and {@link #setUp} has not addressed yet. */
  private final java.util.Set<String> fresh = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Calls of {@link #setUp} running or waiting for the node's lock. */
  private final java.util.concurrent.atomic.AtomicInteger setUps = new java.util.concurrent.atomic.AtomicInteger();
  /** Pool networks ready to be claimed (id -> their record as in pool/ID.json), oldest first; guards itself. */
  private final Map<String, JsonNode> pooled = new java.util.LinkedHashMap<>();
  private final java.security.SecureRandom random = new java.security.SecureRandom();

  /**
   * @param nodeName this node (names the bridge)
   * @param stateDir where IPAM allocations and cached results live (e.g. the agent's state dir + /network)
   */
  public CniNetwork(String nodeName, Path stateDir, Path cniBin) throws IOException {
    this.nodeName = nodeName;
    this.stateDir = stateDir.toAbsolutePath();
    this.cniBin = cniBin;
    Files.createDirectories(this.stateDir);
    String h = bridgeHash(nodeName, this.stateDir);
    this.bridge = "kb-" + h;
    this.networkName = "keelson-" + h;
    Files.createDirectories(this.stateDir.resolve("results"));
    Files.createDirectories(this.stateDir.resolve("ipam"));
    Files.createDirectories(this.stateDir.resolve("pool"));
    PersistentNamespace.useMaker(this.stateDir);
    loadPool();
  }

  public CniNetwork(String nodeName, Path stateDir) throws IOException {
    this(nodeName, stateDir, DEFAULT_CNI_BIN);
  }

  /** Why pod networking cannot work on this host, or null when it can. */
  public static String missing(Path cniBin) {
    for (String plugin : List.of("bridge", "host-local")) {
      if (!Files.isExecutable(cniBin.resolve(plugin))) {
        return "CNI plugin " + cniBin.resolve(plugin) + " missing (apt-get install containernetworking-plugins)";
      }
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      return "pod networking needs root (network namespaces, veth pairs)";
    }
    if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip")) && !Files.isExecutable(Path.of("/usr/bin/ip"))) {
      return "no ip command (apt-get install iproute2)";
    }
    return null;
  }

  /** The node's pod bridge (exists once the first pod was set up). */
  public String bridgeName() {
    return bridge;
  }

  public String nodeName() {
    return nodeName;
  }

  /**
   * Where the network namespace of {@code sandboxId} is bind-mounted: in this node's state dir, not
   * /run/netns, so that pods never show up in (or leak into) {@code ip netns list} and several
   * agents on one host never collide. Enter it with {@code nsenter --net=PATH}.
   */
  public Path netnsPath(String sandboxId) {
    return stateDir.resolve("netns").resolve(sandboxId);
  }

  /**
   * Creates the network namespace of {@code sandboxId} with {@code lo} up but no address yet:
   * containers can join it while {@link #setUp} (CNI ADD) runs. Leftovers of an earlier attempt are
   * removed first. A sandbox whose network is set up already gets that (with its address).
   *
   * @return the network as far as it is known now: namespace path, no address
   * @throws DriverException reason FailedCreatePodSandBox
   */
  public PodNetwork createNamespace(String sandboxId) throws DriverException {
    checkId(sandboxId);
    Path netns = netnsPath(sandboxId);
    PodNetwork pending = new PodNetwork(netns, "eth0", null, 0, null, null);
    Optional<PodNetwork> existing = get(sandboxId);
    if (existing.isPresent()) {
      return existing.get(); // set up already (e.g. claimed from the pool before an agent restart)
    }
    try {
      // not under the node's lock (a pod's own namespace): it need not wait for other pods' CNI calls
      if (Files.exists(netns) || Files.exists(resultFile(sandboxId))) {
        tearDown(sandboxId); // leftovers of a half-done attempt
      }
      PersistentNamespace.createNetwork(netns);
      fresh.add(sandboxId);
      return pending;
    } catch (IOException e) {
      throw new DriverException("FailedCreatePodSandBox", "failed to create the network namespace of sandbox " + sandboxId + ": " + e.getMessage(), e);
    }
  }

  /**
   * Gives sandbox {@code sandboxId} its network namespace (unless {@link #createNamespace} made it
   * already), loopback and eth0 with an IP from {@code podCidr}; returns the cached result if it
   * already has one. On failure nothing is left: no namespace, no veth, no IP.
   *
   * @throws DriverException reason FailedCreatePodSandBox, with the plugin's message
   */
  public PodNetwork setUp(String sandboxId, String podCidr) throws DriverException {
    setUps.incrementAndGet();
    try {
      return setUpLocked(sandboxId, podCidr);
    } finally {
      setUps.decrementAndGet();
    }
  }

  /** Pod network set-ups running or queued now (they run one at a time). */
  public int setUpsInProgress() {
    return setUps.get();
  }

  private synchronized PodNetwork setUpLocked(String sandboxId, String podCidr) throws DriverException {
    checkId(sandboxId);
    Optional<PodNetwork> existing = get(sandboxId);
    if (existing.isPresent()) {
      return existing.get();
    }
    Path netns = netnsPath(sandboxId);
    try {
      long t0 = System.nanoTime();
      if (!fresh.remove(sandboxId) || !isNamespace(netns)) {
        tearDown(sandboxId); // leftovers of a half-done attempt
        PersistentNamespace.createNetwork(netns);
      }
      JsonNode result = cni("bridge", "ADD", sandboxId, netns, "eth0", bridgeConfig(podCidr));
      long added = System.nanoTime();
      PodNetwork net = toPodNetwork(netns, result);
      ObjectNode saved = json.createObjectNode();
      saved.put("podCidr", podCidr);
      saved.put("netnsInode", PersistentNamespace.inode(netns).orElse(0L));
      saved.set("result", result);
      write(resultFile(sandboxId), saved);
      log.info("pod network for {}: {} in {} ({} ms)", sandboxId, net.ip(), netns, (added - t0) / 1_000_000);
      return net;
    } catch (IOException | RuntimeException e) {
      try {
        tearDown(sandboxId);
      } catch (DriverException | RuntimeException ignored) {
        // report the original failure
      }
      throw new DriverException("FailedCreatePodSandBox", "failed to set up the network of sandbox " + sandboxId + ": " + e.getMessage(), e);
    }
  }

  /**
   * The network of {@code sandboxId} if it is set up (namespace present and result cached). A
   * namespace whose bind mount is missing here (agent restarted in a new mount namespace) is
   * re-attached from a process of the pod that still lives in it.
   */
  public Optional<PodNetwork> get(String sandboxId) {
    Path cache = resultFile(sandboxId);
    if (!Files.isRegularFile(cache)) {
      return Optional.empty();
    }
    try {
      JsonNode saved = json.readTree(Files.readAllBytes(cache));
      Path netns = netnsOf(sandboxId, saved);
      if (!isNamespace(netns)) {
        long inode = saved.path("netnsInode").asLong(0);
        if (inode == 0 || !PersistentNamespace.reattach(netns, "net", inode)) {
          return Optional.empty();
        }
        log.info("re-attached network namespace of {} from a running process", sandboxId);
      }
      return Optional.of(toPodNetwork(netns, saved.path("result")));
    } catch (IOException | RuntimeException e) {
      log.warn("unreadable network result {}: {}", cache, e.toString());
      return Optional.empty();
    }
  }

  /** Sandboxes that currently have a network set up by this node (for garbage collection after a restart). */
  public List<String> sandboxes() throws IOException {
    List<String> out = new ArrayList<>();
    try (var files = Files.list(stateDir.resolve("results"))) {
      for (Path f : files.toList()) {
        String n = f.getFileName().toString();
        if (n.endsWith(".json")) {
          out.add(n.substring(0, n.length() - 5));
        }
      }
    }
    return out;
  }

  /** Releases the IP, removes eth0/veth and the namespace; idempotent. */
  public synchronized void tearDown(String sandboxId) throws DriverException {
    checkId(sandboxId);
    fresh.remove(sandboxId);
    release(sandboxId, resultFile(sandboxId));
  }

  /**
   * CNI DEL of the network recorded in {@code record} with the container id it was added with (the
   * pool id for a network claimed from the pool), then its namespace and the record are removed.
   * Runs under the node's lock.
   */
  private void release(String id, Path record) throws DriverException {
    Path netns = netnsPath(id);
    List<String> errors = new ArrayList<>();
    try {
      JsonNode saved = Files.isRegularFile(record) ? json.readTree(Files.readAllBytes(record)) : null;
      if (saved != null) {
        netns = netnsOf(id, saved);
        String podCidr = saved.path("podCidr").asString(null);
        if (podCidr != null) {
          cni("bridge", "DEL", saved.path("cniContainerId").asString(id), isNamespace(netns) ? netns : null, "eth0", bridgeConfig(podCidr));
        }
      }
    } catch (IOException | RuntimeException e) {
      errors.add(e.getMessage());
    }
    try {
      PersistentNamespace.remove(netns);
      if (!netns.equals(netnsPath(id))) {
        PersistentNamespace.remove(netnsPath(id)); // a leftover of the sandbox's own
      }
      Files.deleteIfExists(record);
    } catch (IOException e) {
      errors.add(e.getMessage());
    }
    if (!errors.isEmpty()) {
      throw new DriverException("KillPodSandboxError", "failed to tear down the network of sandbox " + id + ": " + String.join("; ", errors), null);
    }
  }

  /** Where the namespace of a recorded network is: recorded for pool networks, else by sandbox id. */
  private Path netnsOf(String id, JsonNode saved) {
    String recorded = saved.path("netns").asString("");
    return recorded.isEmpty() ? netnsPath(id) : Path.of(recorded);
  }

  // ---- the pool: networks set up ahead of pods

  /**
   * Sets up one pod network for the pool (namespace, veth, IP from {@code podCidr}) under a new
   * pool id, which is also its CNI container id; {@link #claim} hands it to a sandbox. Its record
   * is written before anything is made, so that a crash in between leaves an unfinished entry that
   * the next agent removes.
   *
   * @return the pool id
   */
  public synchronized String addPooled(String podCidr) throws DriverException {
    byte[] b = new byte[6];
    random.nextBytes(b);
    String id = "pool-" + HexFormat.of().formatHex(b);
    Path netns = netnsPath(id);
    Path record = poolFile(id);
    try {
      long t0 = System.nanoTime();
      ObjectNode saved = json.createObjectNode();
      saved.put("podCidr", podCidr);
      saved.put("cniContainerId", id);
      saved.put("netns", netns.toString());
      write(record, saved);
      PersistentNamespace.createNetwork(netns);
      JsonNode result = cni("bridge", "ADD", id, netns, "eth0", bridgeConfig(podCidr));
      PodNetwork net = toPodNetwork(netns, result);
      saved.put("netnsInode", PersistentNamespace.inode(netns).orElse(0L));
      saved.set("result", result);
      write(record, saved);
      synchronized (pooled) {
        pooled.put(id, saved);
      }
      log.info("pooled pod network {}: {} ({} ms)", id, net.ip(), (System.nanoTime() - t0) / 1_000_000);
      return id;
    } catch (IOException | RuntimeException e) {
      try {
        release(id, record);
      } catch (DriverException | RuntimeException ignored) {
        // report the original failure
      }
      throw new DriverException("FailedCreatePodSandBox", "failed to set up a pool network: " + e.getMessage(), e);
    }
  }

  /**
   * Hands a pool network of {@code podCidr} to sandbox {@code sandboxId}, address and all: its
   * record becomes the sandbox's result file in one rename (so a crash leaves it either pooled or
   * the sandbox's). Does not wait for the node's lock. Null when the pool has none for the CIDR, or
   * when the sandbox has a network or namespace already (its containers may have joined that one).
   */
  public PodNetwork claim(String sandboxId, String podCidr) {
    checkId(sandboxId);
    if (podCidr == null || fresh.contains(sandboxId) || Files.exists(resultFile(sandboxId)) || Files.exists(netnsPath(sandboxId))) {
      return null;
    }
    synchronized (pooled) {
      for (var it = pooled.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!podCidr.equals(e.getValue().path("podCidr").asString(""))) {
          continue;
        }
        it.remove();
        try {
          Files.move(poolFile(e.getKey()), resultFile(sandboxId), StandardCopyOption.ATOMIC_MOVE);
          PodNetwork net = toPodNetwork(netnsOf(e.getKey(), e.getValue()), e.getValue().path("result"));
          log.info("pod network for {}: {} from the pool ({})", sandboxId, net.ip(), e.getKey());
          return net;
        } catch (IOException | RuntimeException ex) {
          log.warn("pool network {} not usable: {}", e.getKey(), ex.toString());
        }
      }
    }
    return null;
  }

  /** Pool networks ready to be claimed. */
  public int pooledCount() {
    synchronized (pooled) {
      return pooled.size();
    }
  }

  /**
   * Removes pool networks (CNI DEL with their pool id) until at most {@code keep} of {@code podCidr}
   * are left; those of another CIDR go too (null: all of them).
   *
   * @return how many were removed
   */
  public int trimPool(String podCidr, int keep) {
    List<String> doomed = new ArrayList<>();
    synchronized (pooled) {
      int kept = 0;
      for (var it = pooled.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (podCidr != null && podCidr.equals(e.getValue().path("podCidr").asString("")) && kept < keep) {
          kept++;
          continue;
        }
        it.remove();
        doomed.add(e.getKey());
      }
    }
    for (String id : doomed) {
      try {
        synchronized (this) {
          release(id, poolFile(id));
        }
        log.info("removed pool network {}", id);
      } catch (DriverException e) {
        log.warn("removing pool network {}: {}", id, e.getMessage());
      }
    }
    return doomed.size();
  }

  /**
   * At start: keeps the finished pool entries whose namespace is still there, removes the rest
   * (an agent killed during CNI ADD, or a namespace lost with its mount namespace or a reboot).
   */
  private void loadPool() throws IOException {
    List<Path> files;
    try (var list = Files.list(stateDir.resolve("pool"))) {
      files = list.sorted().toList();
    }
    for (Path f : files) {
      String n = f.getFileName().toString();
      if (!n.endsWith(".json")) {
        Files.deleteIfExists(f); // an unfinished write
        continue;
      }
      String id = n.substring(0, n.length() - 5);
      JsonNode saved = null;
      try {
        saved = json.readTree(Files.readAllBytes(f));
      } catch (RuntimeException e) {
        // unreadable: removed below
      }
      if (saved != null && saved.has("result") && isNamespace(netnsOf(id, saved))) {
        synchronized (pooled) {
          pooled.put(id, saved);
        }
        continue;
      }
      try {
        synchronized (this) {
          release(id, f);
        }
        log.info("removed unfinished or lost pool network {}", id);
      } catch (DriverException | RuntimeException e) {
        log.warn("removing pool network {}: {}", id, e.getMessage());
      }
    }
  }

  private Path poolFile(String id) {
    return stateDir.resolve("pool").resolve(id + ".json");
  }

  private void write(Path file, JsonNode content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, json.writeValueAsBytes(content));
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Creates tap device for a VM of sandbox {@code sandboxId} on the pod bridge, with an IP from
   * {@code podCidr} reserved for it by the same IPAM; idempotent.
   */
  public synchronized TapDevice addTap(String sandboxId, String podCidr) throws DriverException {
    checkId(sandboxId);
    String name = tapName(sandboxId);
    Path cache = stateDir.resolve("taps").resolve(sandboxId + ".json");
    try {
      ensureBridge(podCidr);
      JsonNode ip;
      if (Files.isRegularFile(cache)) {
        ip = json.readTree(Files.readAllBytes(cache));
      } else {
        ip = cni("host-local", "ADD", "tap-" + sandboxId, null, name, ipamOnlyConfig(podCidr)).path("ips").path(0);
        Files.createDirectories(cache.getParent());
        Files.write(cache, json.writeValueAsBytes(ip));
      }
      String[] addr = ip.path("address").asString().split("/");
      if (!linkExists(name)) {
        run(null, Map.of(), "ip", "tuntap", "add", "dev", name, "mode", "tap");
      }
      run(null, Map.of(), "ip", "link", "set", name, "master", bridge, "up");
      return new TapDevice(name, bridge, addr[0], Integer.parseInt(addr[1]), ip.path("gateway").asString(gatewayOf(podCidr)), macFor(sandboxId));
    } catch (IOException | RuntimeException e) {
      throw new DriverException("FailedCreatePodSandBox", "failed to create tap device for sandbox " + sandboxId + ": " + e.getMessage(), e);
    }
  }

  /** Deletes the tap device of {@code sandboxId} and releases its IP; idempotent. */
  public synchronized void removeTap(String sandboxId, String podCidr) throws DriverException {
    checkId(sandboxId);
    String name = tapName(sandboxId);
    try {
      if (linkExists(name)) {
        run(null, Map.of(), "ip", "link", "delete", name);
      }
      cni("host-local", "DEL", "tap-" + sandboxId, null, name, ipamOnlyConfig(podCidr));
      Files.deleteIfExists(stateDir.resolve("taps").resolve(sandboxId + ".json"));
    } catch (IOException e) {
      throw new DriverException("KillPodSandboxError", "failed to remove tap device of sandbox " + sandboxId + ": " + e.getMessage(), e);
    }
  }

  static String tapName(String sandboxId) {
    return "kt-" + hash(sandboxId).substring(0, 12);
  }

  /** A stable locally administered unicast MAC for a sandbox's VM NIC. */
  static String macFor(String sandboxId) {
    String h = hash("mac:" + sandboxId);
    return "02:" + h.substring(0, 2) + ":" + h.substring(2, 4) + ":" + h.substring(4, 6) + ":" + h.substring(6, 8) + ":" + h.substring(8, 10);
  }

  /**
   * The node's address on the pod network (the bridge's: the pod CIDR's first IP), with the bridge
   * created if no pod did yet: node-local services for pods (the cluster DNS) listen on it.
   *
   * @throws DriverException reason NetworkNotReady
   */
  public synchronized String nodeAddress(String podCidr) throws DriverException {
    try {
      ensureBridge(podCidr);
      return gatewayOf(podCidr);
    } catch (IOException | RuntimeException e) {
      throw new DriverException("NetworkNotReady", "failed to create the pod bridge " + bridge + ": " + e.getMessage(), e);
    }
  }

  /** Creates the bridge with its gateway address unless there is one (before the first pod, tap-only nodes). */
  private void ensureBridge(String podCidr) throws IOException {
    if (!linkExists(bridge)) {
      run(null, Map.of(), "ip", "link", "add", bridge, "type", "bridge");
    }
    // replace: idempotent, where add fails once the bridge plugin has put the address there
    run(null, Map.of(), "ip", "addr", "replace", gatewayOf(podCidr) + "/" + podCidr.split("/")[1], "dev", bridge);
    run(null, Map.of(), "ip", "link", "set", bridge, "up");
  }

  /**
   * Whether a network device exists in the agent's network namespace. Asks netlink (ip link), not
   * /sys/class/net, which shows another namespace's devices when the agent was moved into a netns
   * with nsenter (lab mode) without remounting /sys.
   */
  static boolean linkExists(String name) throws IOException {
    Process p = new ProcessBuilder("ip", "link", "show", "dev", name).redirectErrorStream(true).start();
    try {
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  static boolean isNamespace(Path p) {
    return PersistentNamespace.isMounted(p);
  }

  /** The first host address of a CIDR, which host-local and the bridge plugin use as gateway. */
  static String gatewayOf(String cidr) {
    String[] p = cidr.split("/");
    String[] o = p[0].split("\\.");
    long v = 0;
    for (String s : o) {
      v = (v << 8) | Integer.parseInt(s);
    }
    int prefix = Integer.parseInt(p[1]);
    long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
    long gw = (v & mask) + 1;
    return ((gw >> 24) & 255) + "." + ((gw >> 16) & 255) + "." + ((gw >> 8) & 255) + "." + (gw & 255);
  }

  private ObjectNode baseConfig(String type) {
    ObjectNode c = json.createObjectNode();
    c.put("cniVersion", CNI_VERSION);
    c.put("name", networkName);
    c.put("type", type);
    return c;
  }

  private ObjectNode ipam(String podCidr) {
    ObjectNode ipam = json.createObjectNode();
    ipam.put("type", "host-local");
    ipam.putArray("ranges").addArray().addObject().put("subnet", podCidr);
    ipam.putArray("routes").addObject().put("dst", "0.0.0.0/0");
    ipam.put("dataDir", stateDir.resolve("ipam").toString());
    return ipam;
  }

  private ObjectNode bridgeConfig(String podCidr) {
    ObjectNode c = baseConfig("bridge");
    c.put("bridge", bridge);
    c.put("isGateway", true);
    c.put("ipMasq", false);
    c.put("hairpinMode", true);
    c.set("ipam", ipam(podCidr));
    return c;
  }

  private ObjectNode ipamOnlyConfig(String podCidr) {
    ObjectNode c = baseConfig("host-local");
    c.set("ipam", ipam(podCidr));
    return c;
  }

  private PodNetwork toPodNetwork(Path netns, JsonNode result) {
    JsonNode ip = result.path("ips").path(0);
    String[] addr = ip.path("address").asString("").split("/");
    if (addr.length != 2) {
      throw new IllegalStateException("CNI result without an IP: " + result);
    }
    String mac = null;
    for (JsonNode i : result.path("interfaces")) {
      if ("eth0".equals(i.path("name").asString("")) && i.has("sandbox")) {
        mac = i.path("mac").asString(null);
      }
    }
    return new PodNetwork(netns, "eth0", addr[0], Integer.parseInt(addr[1]), ip.path("gateway").asString(null), mac);
  }

  /** Runs a CNI plugin; returns its result JSON (empty object for DEL). */
  private JsonNode cni(String plugin, String command, String containerId, Path netns, String ifName, ObjectNode config) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("CNI_COMMAND", command);
    env.put("CNI_CONTAINERID", containerId);
    if (netns != null) {
      env.put("CNI_NETNS", netns.toString());
    } else if (!command.equals("DEL")) {
      // host-local (IPAM only) never enters it, but insists on the variable for ADD. Never for DEL:
      // the bridge plugin would delete CNI_IFNAME (eth0) in that namespace, the agent's own
      env.put("CNI_NETNS", "/proc/self/ns/net");
    }
    env.put("CNI_IFNAME", ifName);
    env.put("CNI_PATH", cniBin.toString());
    String out = run(json.writeValueAsString(config), env, cniBin.resolve(plugin).toString());
    if (out.isBlank()) {
      return json.createObjectNode();
    }
    JsonNode r = json.readTree(out);
    if (r.has("code") && r.has("msg")) {
      throw new IOException(plugin + " " + command + ": " + r.path("msg").asString() + (r.has("details") ? " (" + r.path("details").asString() + ")" : ""));
    }
    return r;
  }

  private static String run(String stdin, Map<String, String> env, String... cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " timed out");
      }
      if (p.exitValue() != 0) {
        // CNI plugins put a JSON error on stdout
        String msg = out.isBlank() ? err.trim() : out.trim();
        try {
          JsonNode e = JsonMapper.builder().build().readTree(msg);
          if (e.has("msg")) {
            msg = e.path("msg").asString() + (e.has("details") ? " (" + e.path("details").asString() + ")" : "");
          }
        } catch (RuntimeException notJson) {
          // keep the raw text
        }
        throw new IOException(cmd[0].substring(cmd[0].lastIndexOf('/') + 1) + " " + env.getOrDefault("CNI_COMMAND", String.join(" ", cmd).substring(cmd[0].length())).trim() + ": " + msg);
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private Path resultFile(String sandboxId) {
    return stateDir.resolve("results").resolve(sandboxId + ".json");
  }

  private static void checkId(String sandboxId) {
    if (!sandboxId.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,200}")) {
      throw new IllegalArgumentException("sandbox id not usable as a file name: " + sandboxId);
    }
  }

  /**
   * What names the node's bridge: the node and its network state dir (symlinks resolved), as
   * deploy/runc/purge-node.sh computes it: {@code sha256("NODE@DIR")}, first 8 hex digits.
   */
  static String bridgeHash(String nodeName, Path stateDir) throws IOException {
    return hash(nodeName + "@" + stateDir.toRealPath()).substring(0, 8);
  }

  /**
   * The short hash that names this node's bridge ({@code kb-<hash>}) and other per-node host
   * objects such as its Service table; {@code stateDir} as given to the constructor.
   */
  public static String nodeHash(String nodeName, Path stateDir) throws IOException {
    return bridgeHash(nodeName, stateDir.toAbsolutePath());
  }

  static String hash(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
