package io.keelson.cli.output;

import java.io.Console;
import java.lang.reflect.Method;

/** What the output is connected to: decides colour, live progress bars and raw tty mode. */
public final class Terminal {
  private static final Boolean INTERACTIVE = detect();

  private Terminal() {}

  /** True when stdin and stdout are a terminal (JDK 22+ returns a Console even when redirected). */
  public static boolean interactive() {
    return INTERACTIVE;
  }

  private static boolean detect() {
    Console c = System.console();
    if (c == null) {
      return false;
    }
    try {
      Method m = Console.class.getMethod("isTerminal");
      return (Boolean) m.invoke(c);
    } catch (ReflectiveOperationException e) {
      return true; // JDK 21: a non-null console means a terminal
    }
  }

  /** Colour only on a terminal, never with NO_COLOR set or TERM=dumb. */
  public static boolean colour() {
    String noColor = System.getenv("NO_COLOR");
    return interactive() && (noColor == null || noColor.isEmpty()) && !"dumb".equals(System.getenv("TERM"));
  }

  public static String green(String s) {
    return paint("32", s);
  }

  public static String red(String s) {
    return paint("31", s);
  }

  public static String yellow(String s) {
    return paint("33", s);
  }

  public static String bold(String s) {
    return paint("1", s);
  }

  private static String paint(String code, String s) {
    return colour() ? "\u001b[" + code + "m" + s + "\u001b[0m" : s;
  }

  /** Colours a status word the way users scan for it: healthy green, failing red, waiting yellow. */
  public static String status(String s) {
    if (!colour()) {
      return s;
    }
    return switch (s) {
      case "Running", "Ready", "Active", "Succeeded", "Completed", "True" -> green(s);
      case "Pending", "ContainerCreating", "Terminating", "Unknown", "SchedulingDisabled" -> yellow(s);
      default ->
          s.contains("Err") || s.contains("Fail") || s.contains("NotReady") || s.contains("BackOff")
              ? red(s)
              : s.startsWith("Ready,") ? yellow(s) : s;
    };
  }

  /** Visible width, ignoring ANSI colour codes. */
  public static int width(String s) {
    return s.replaceAll("\u001b\\[[0-9;]*m", "").length();
  }
}
