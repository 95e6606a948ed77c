package io.keelson.agent.proxy;

import io.keelson.agent.service.ServiceCatalog;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's Service proxy (kube-proxy in nftables mode): renders the whole ruleset from the
 * {@link ServiceCatalog} ({@link ServiceRules}) and loads it with {@code nft -f -}, rewriting its
 * table in one transaction (affinity sets keep their clients; see {@link #apply}). Changes are
 * coalesced for {@link #MIN_SYNC_PERIOD} (a burst of endpoint
 * updates becomes one write, kube-proxy's minSyncPeriod) and the ruleset is rewritten every {@link
 * #RESYNC_PERIOD} anyway, which repairs a table someone else flushed.
 *
 * <p>The table belongs to this node ({@link #tableName}: {@code keelson-<hash of node and state
 * dir>}, the hash the node's bridge is named with), so that agents sharing a network namespace
 * ({@code keelson up} runs every node on the host) and clusters sharing a host never write each
 * other's tables. Their ClusterIP and NodePort rules are alike; the first table whose NAT chain
 * picks an endpoint wins, which makes no difference. The table stays when the agent stops (Services
 * keep working through a restart, as with kube-proxy); {@code --cleanup} ({@code keelson down})
 * deletes it, by the name recorded in {@code <state dir>/service-proxy-table}.
 *
 * <p>Until the catalog has listed everything once no rules are written, so that a restarting
 * agent does not replace working rules with a partial set. When nft is missing or fails, the
 * problem is logged and reported once through {@code problems} (a Node event), and the proxy keeps
 * trying on every change and resync.
 */
public final class ServiceProxy extends OwnedTable {
  private static final Logger log = LoggerFactory.getLogger(ServiceProxy.class);

  /** Where the table's name is recorded in the agent's state dir, for {@link #cleanup}. */
  static final String TABLE_FILE = "service-proxy-table";

  private final ServiceCatalog catalog;
  private final String nodeName;
  /** The ruleset last loaded by this process (null before the first): the next sync updates from it. */
  private ServiceRules.Rendered loaded;
  private final AtomicInteger rules = new AtomicInteger();
  private final AtomicInteger endpoints = new AtomicInteger();

  /**
   * @param table the nftables table to own ({@link #tableName})
   * @param problems told (once per distinct problem) why Services are not routed, e.g. to post a Node event
   */
  public ServiceProxy(ServiceCatalog catalog, String nodeName, String table, Path stateDir, Nft nft, Consumer<String> problems) {
    super("service proxy", table, stateDir, TABLE_FILE, nft, problems);
    this.catalog = catalog;
    this.nodeName = nodeName;
  }

  /** {@code keelson-<8 hex>}: unique per node and state dir, like the node's bridge. */
  public static String tableName(String hash) {
    return "keelson-" + hash;
  }

  /** Registers sync count/duration ({@code keelson_agent_proxy_sync_seconds}), failures and ruleset size. */
  public ServiceProxy metrics(MeterRegistry registry) {
    registerSyncMetrics(registry, "keelson.agent.proxy", "Service ruleset", " (nft missing or refusing the ruleset)");
    Gauge.builder("keelson.agent.proxy.rules", rules, AtomicInteger::get)
        .description("Rules in the node's Service ruleset as last written").register(registry);
    Gauge.builder("keelson.agent.proxy.endpoints", endpoints, AtomicInteger::get)
        .description("Service endpoints programmed on this node as last written").register(registry);
    return this;
  }

  public ServiceProxy start() {
    String problem = nft.problem();
    if (problem != null) {
      report(problem);
    }
    catalog.onChange(this::changed);
    startSyncing();
    log.info("service proxy for node {} writes nftables table ip {}", nodeName, table);
    return this;
  }

  @Override
  protected boolean ready() {
    return catalog.synced();
  }

  /** One full sync, always written (an update of the loaded table, see {@link #apply}). */
  @Override
  protected void write(boolean force) throws IOException {
    long start = System.nanoTime();
    ServiceRules.Rendered r = ServiceRules.render(table, catalog.snapshot(), nodeName);
    apply(r);
    recordSync(start);
    rules.set(r.rules());
    endpoints.set(r.endpoints());
    if (recovered()) {
      log.info("service proxy: the ruleset applies again ({} service ports, {} endpoints)", r.servicePorts(), r.endpoints());
    }
    log.debug("service proxy: {} service ports, {} endpoints, {} rules in {} ms",
        r.servicePorts(), r.endpoints(), r.rules(), (System.nanoTime() - start) / 1_000_000);
  }

  @Override
  protected String failure(Exception e) {
    String problem = nft.problem();
    return problem != null ? problem : "writing the Service rules failed: " + e.getMessage();
  }

  /**
   * Updates the table from what this process loaded last (affinity sets keep their clients), or
   * replaces it: on the first sync, and when the update fails because the table is not as it was
   * left (someone flushed or deleted it).
   */
  private void apply(ServiceRules.Rendered r) throws IOException {
    ServiceRules.Rendered previous = loaded;
    loaded = null;
    if (previous != null) {
      try {
        nft.apply(r.updateFrom(previous));
        loaded = r;
        return;
      } catch (IOException e) {
        log.info("service proxy: updating table {} failed, replacing it: {}", table, e.getMessage());
      }
    }
    nft.apply(r.text());
    loaded = r;
  }

  /** Deletes the Service table recorded in {@code stateDir}, if any (for {@code --cleanup}). */
  public static void cleanup(Path stateDir, Nft nft) throws IOException {
    cleanup(stateDir, TABLE_FILE, "keelson-[0-9a-f]+", nft);
  }
}
