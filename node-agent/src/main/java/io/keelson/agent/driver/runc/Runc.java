package io.keelson.agent.driver.runc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The runc command line, with this driver's state root ({@code runc --root}). */
public final class Runc {

  private static final Pattern LOGFMT_MSG = Pattern.compile("msg=\"((?:[^\"\\\\]|\\\\.)*)\"");
  private final Path binary;
  private final Path root;
  private final JsonMapper json = JsonMapper.builder().build();

  public Runc(Path binary, Path root) {
    this.binary = binary;
    this.root = root;
  }

  public Path binary() {
    return binary;
  }

  public Path root() {
    return root;
  }

  /** {@code runc state}: status (created, running, stopped, paused) and pid, or empty if unknown to runc. */
  public Optional<State> state(String id) throws IOException {
    Result r = run("state", id);
    if (r.code != 0) {
      if (r.err.contains("does not exist") || r.err.contains("not exist")) {
        return Optional.empty();
      }
      throw new IOException("runc state " + id + ": " + message(r.err));
    }
    JsonNode s = json.readTree(r.out);
    return Optional.of(new State(s.path("status").asString(""), s.path("pid").asLong(0)));
  }

  public record State(String status, long pid) {
    public boolean running() {
      return status.equals("running") || status.equals("paused");
    }
  }

  /** Sends {@code signal} (e.g. TERM, KILL) to the container's init; false if it was not running. */
  public boolean kill(String id, String signal) throws IOException {
    Result r = run("kill", id, signal);
    if (r.code == 0) {
      return true;
    }
    if (r.err.contains("not running") || r.err.contains("does not exist") || r.err.contains("process already finished")) {
      return false;
    }
    throw new IOException("runc kill " + id + " " + signal + ": " + message(r.err));
  }

  /** {@code runc delete --force}; idempotent. */
  public void delete(String id) throws IOException {
    Result r = run("delete", "--force", id);
    if (r.code != 0 && !r.err.contains("does not exist")) {
      throw new IOException("runc delete " + id + ": " + message(r.err));
    }
  }

  /** "1.1.5+ds1" from {@code runc --version}. */
  public String version() throws IOException {
    Result r = run("--version");
    if (r.code != 0) {
      throw new IOException("runc --version: " + message(r.err));
    }
    Matcher m = Pattern.compile("runc version (\\S+)").matcher(r.out);
    return m.find() ? m.group(1) : r.out.trim();
  }

  /** The argv of {@code runc exec} for {@code cmd} in container {@code id}; the process's host pid goes to {@code pidFile}. */
  public List<String> execArgv(String id, boolean tty, Path pidFile, List<String> cmd) {
    List<String> argv = new ArrayList<>(List.of(binary.toString(), "--root", root.toString(), "exec"));
    if (tty) {
      argv.add("--tty");
    }
    if (pidFile != null) {
      argv.add("--pid-file");
      argv.add(pidFile.toString());
    }
    argv.add(id);
    argv.addAll(cmd);
    return argv;
  }

  /** runc's logfmt error line → its message. */
  public static String message(String stderr) {
    String last = stderr.strip();
    int nl = last.lastIndexOf('\n');
    if (nl >= 0) {
      last = last.substring(nl + 1);
    }
    Matcher m = LOGFMT_MSG.matcher(last);
    return m.find() ? m.group(1).replace("\\\"", "\"") : last;
  }

  private record Result(int code, String out, String err) {}

  private Result run(String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of(binary.toString(), "--root", root.toString()));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      byte[] err = p.getErrorStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("runc " + String.join(" ", args) + " timed out");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
