package io.keelson.agent.netpol;

import io.keelson.agent.proxy.Nft;
import io.keelson.agent.proxy.OwnedTable;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces NetworkPolicies for the pods of this node: renders the ruleset from the {@link
 * PolicyCatalog} ({@link PolicyRules}) and replaces its table with {@code nft -f -} in one
 * transaction, so that there is never a moment without the policies. Changes are coalesced for
 * {@link #MIN_SYNC_PERIOD}, and the table is rewritten every {@link #RESYNC_PERIOD} anyway (which
 * repairs a table someone flushed).
 *
 * <p>The table is {@code keelson-np-<hash>}, the hash of the node's bridge and Service table; it
 * stays when the agent stops (policies keep holding through a restart) and {@code --cleanup}
 * deletes it, by the name recorded in {@code <state dir>/network-policy-table}. Until the catalog
 * has listed everything once nothing is written: a partial view could open what a policy closes.
 *
 * <p>Traffic between pods on one bridge is switched, not routed: it reaches the {@code ip} hooks
 * only through br_netfilter with {@code net.bridge.bridge-nf-call-iptables=1} (what kube's CNI
 * plugins require too). The enforcer turns it on when it is off, and reports when it cannot.
 */
public final class PolicyEnforcer extends OwnedTable {
  private static final Logger log = LoggerFactory.getLogger(PolicyEnforcer.class);

  static final String TABLE_FILE = "network-policy-table";
  static final Path BRIDGE_NF_CALL = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");

  private final PolicyCatalog catalog;
  private final String nodeName;
  private volatile String dnsAddress;
  /** The ruleset last loaded (null before the first, or after a failure): unchanged ones are not written again. */
  private String loaded;
  private final AtomicInteger isolatedPods = new AtomicInteger();

  /**
   * @param table the nftables table to own ({@link #tableName})
   * @param problems told (once per distinct problem) why policies are not enforced, e.g. to post a Node event
   */
  public PolicyEnforcer(PolicyCatalog catalog, String nodeName, String table, Path stateDir, Nft nft, Consumer<String> problems) {
    super("network policies", table, stateDir, TABLE_FILE, nft, problems);
    this.catalog = catalog;
    this.nodeName = nodeName;
  }

  /** {@code keelson-np-<8 hex>}: unique per node and state dir, like the node's bridge. */
  public static String tableName(String hash) {
    return "keelson-np-" + hash;
  }

  /** Sync count/duration ({@code keelson_agent_netpol_sync_seconds}), failures, pods isolated. */
  public PolicyEnforcer metrics(MeterRegistry registry) {
    registerSyncMetrics(registry, "keelson.agent.netpol", "NetworkPolicy ruleset", "");
    Gauge.builder("keelson.agent.netpol.isolated.pods", isolatedPods, AtomicInteger::get)
        .description("Pods of this node isolated by some NetworkPolicy, as last written").register(registry);
    return this;
  }

  public PolicyEnforcer start() {
    String problem = nft.problem();
    if (problem != null) {
      report(problem.replace("ClusterIP and NodePort Services are not routed", "NetworkPolicies are not enforced"));
    }
    bridgedTrafficToIpHooks();
    catalog.onChange(this::changed);
    startSyncing();
    log.info("network policies for node {} in nftables table ip {}", nodeName, table);
    return this;
  }

  /** Where the node answers DNS (its pod gateway): matched as CoreDNS's pods are ({@link PolicyRules}). */
  public void nodeDns(String address) {
    dnsAddress = address;
    changed();
  }

  /** Bridged IPv4 through the ip hooks (br_netfilter), so that pods on one bridge are policed too. */
  private void bridgedTrafficToIpHooks() {
    try {
      if (!Files.exists(BRIDGE_NF_CALL)) {
        new ProcessBuilder("modprobe", "br_netfilter").redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
      }
      if (!Files.readString(BRIDGE_NF_CALL).trim().equals("1")) {
        Files.writeString(BRIDGE_NF_CALL, "1\n");
        log.info("network policies: set net.bridge.bridge-nf-call-iptables=1 (pods on one bridge are policed through the ip hooks)");
      }
    } catch (IOException | RuntimeException e) {
      report("br_netfilter is not available (" + e.getMessage() + "): NetworkPolicies do not hold between pods on the same node");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * One full render, written when it differs from what was loaded (most pod updates, e.g. of
   * conditions, change no address or label); runs on the enforcer's single thread only.
   */
  @Override
  protected void write(boolean force) throws IOException {
    long start = System.nanoTime();
    PolicyRules.Rendered r = PolicyRules.render(table, catalog.snapshot(), nodeName, dnsAddress);
    if (!force && r.text().equals(loaded)) {
      return;
    }
    loaded = null;
    nft.apply(r.text());
    loaded = r.text();
    recordSync(start);
    isolatedPods.set(r.isolatedPods());
    if (recovered()) {
      log.info("network policies: the ruleset applies again ({} policies, {} isolated pods)", r.policies(), r.isolatedPods());
    }
    log.debug("network policies: {} policies apply here, {} pods isolated, {} rules in {} ms",
        r.policies(), r.isolatedPods(), r.rules(), (System.nanoTime() - start) / 1_000_000);
  }

  @Override
  protected boolean ready() {
    return catalog.synced();
  }

  @Override
  protected String failure(Exception e) {
    return "writing the NetworkPolicy rules failed: " + e.getMessage();
  }

  /** Deletes the table recorded in {@code stateDir}, if any (for {@code --cleanup}). */
  public static void cleanup(Path stateDir, Nft nft) throws IOException {
    cleanup(stateDir, TABLE_FILE, "keelson-np-[0-9a-f]+", nft);
  }
}
