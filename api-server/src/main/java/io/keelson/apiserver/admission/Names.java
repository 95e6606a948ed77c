package io.keelson.apiserver.admission;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The name formats of Kubernetes (RFC 1123 subdomains and labels, RFC 1035 labels, qualified names,
 * label values, config keys, env var names, IANA service names). Each check returns the problems in
 * Kubernetes' own words, empty when the value is fine.
 */
final class Names {

  private Names() {}

  static final String DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  static final String DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*";
  static final String DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
  static final String QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  static final String LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?";
  static final String CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+";

  private static final Pattern DNS1035_LABEL = Pattern.compile("^" + DNS1035_LABEL_FMT + "$");
  private static final Pattern CONFIG_KEY = Pattern.compile("^" + CONFIG_KEY_FMT + "$");
  private static final Pattern IANA_SVC_NAME = Pattern.compile("^[-a-z0-9]+$");
  private static final Pattern HAS_LETTER = Pattern.compile("[a-z]");

  // Hand-written matchers for the formats checked on every write (names, label keys and values):
  // the same languages as the *_FMT regexes, which stay the documented rule, at a fraction of the cost.

  private static boolean lowerAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }

  private static boolean alnum(char c) {
    return lowerAlnum(c) || (c >= 'A' && c <= 'Z');
  }

  /** {@link #DNS1123_LABEL_FMT} on v[from, to). */
  static boolean isDns1123Label(String v, int from, int to) {
    if (to <= from || !lowerAlnum(v.charAt(from)) || !lowerAlnum(v.charAt(to - 1))) return false;
    for (int i = from + 1; i < to - 1; i++) {
      char c = v.charAt(i);
      if (!lowerAlnum(c) && c != '-') return false;
    }
    return true;
  }

  /** {@link #DNS1123_SUBDOMAIN_FMT}: dot-separated labels. */
  static boolean isDns1123Subdomain(String v) {
    int from = 0;
    while (true) {
      int dot = v.indexOf('.', from);
      int to = dot < 0 ? v.length() : dot;
      if (!isDns1123Label(v, from, to)) return false;
      if (dot < 0) return true;
      from = dot + 1;
    }
  }

  /** {@link #QUALIFIED_NAME_FMT}. */
  static boolean isQualifiedName(String v) {
    int n = v.length();
    if (n == 0 || !alnum(v.charAt(0)) || !alnum(v.charAt(n - 1))) return false;
    for (int i = 1; i < n - 1; i++) {
      char c = v.charAt(i);
      if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
    }
    return true;
  }

  /** apimachinery's RegexError: the message, examples and the regex. */
  static String regexError(String msg, String fmt, String... examples) {
    if (examples.length == 0) return msg + " (regex used for validation is '" + fmt + "')";
    StringBuilder sb = new StringBuilder(msg).append(" (e.g. ");
    for (int i = 0; i < examples.length; i++) {
      if (i > 0) sb.append(" or ");
      sb.append('\'').append(examples[i]).append("', ");
    }
    return sb.append("regex used for validation is '").append(fmt).append("')").toString();
  }

  static String maxLen(int n) {
    return "must be no more than " + n + " characters";
  }

  static List<String> dns1123Label(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 63) errs.add(maxLen(63));
    if (!isDns1123Label(v, 0, v.length())) {
      errs.add(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start"
          + " and end with an alphanumeric character", DNS1123_LABEL_FMT, "my-name", "123-abc"));
    }
    return errs;
  }

  static List<String> dns1123Subdomain(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 253) errs.add(maxLen(253));
    if (!isDns1123Subdomain(v)) {
      errs.add(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and"
          + " must start and end with an alphanumeric character", DNS1123_SUBDOMAIN_FMT, "example.com"));
    }
    return errs;
  }

  static List<String> dns1035Label(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 63) errs.add(maxLen(63));
    if (!DNS1035_LABEL.matcher(v).matches()) {
      errs.add(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic"
          + " character, and end with an alphanumeric character", DNS1035_LABEL_FMT, "my-name", "abc-123"));
    }
    return errs;
  }

  /** Label and annotation keys: an optional DNS subdomain prefix and '/', then a name of at most 63. */
  static List<String> qualifiedName(String v) {
    List<String> errs = new ArrayList<>();
    String[] parts = v.split("/", -1);
    String name;
    if (parts.length == 1) {
      name = parts[0];
    } else if (parts.length == 2) {
      String prefix = parts[0];
      name = parts[1];
      if (prefix.isEmpty()) errs.add("prefix part must be non-empty");
      else for (String e : dns1123Subdomain(prefix)) errs.add("prefix part " + e);
    } else {
      errs.add(regexError("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end"
          + " with an alphanumeric character", QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
          + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    if (name.isEmpty()) {
      errs.add("name part must be non-empty");
    } else if (name.length() > 63) {
      errs.add("name part " + maxLen(63));
    }
    if (!isQualifiedName(name)) {
      errs.add("name part " + regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end"
          + " with an alphanumeric character", QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"));
    }
    return errs;
  }

  static List<String> labelValue(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 63) errs.add(maxLen(63));
    if (!(v.isEmpty() || isQualifiedName(v))) {
      errs.add(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and"
          + " must start and end with an alphanumeric character", LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
    }
    return errs;
  }

  static List<String> configKey(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 253) errs.add(maxLen(253));
    if (!CONFIG_KEY.matcher(v).matches()) {
      errs.add(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_KEY_FMT,
          "key.name", "KEY_NAME", "key-name"));
    }
    if (v.equals(".")) errs.add("must not be '.'");
    else if (v.equals("..")) errs.add("must not be '..'");
    else if (v.startsWith("..")) errs.add("must not start with '..'");
    return errs;
  }

  /**
   * Env var names as Kubernetes 1.32 accepts them (RelaxedEnvironmentVariableValidation, on by
   * default): printable ASCII other than '='.
   */
  static List<String> envVarName(String v) {
    List<String> errs = new ArrayList<>();
    for (char c : v.toCharArray()) {
      if (c < ' ' || c > '~' || c == '=') {
        errs.add("a valid environment variable name must consist only of printable ASCII characters other than '='");
        break;
      }
    }
    return errs;
  }

  /** Port names (IANA_SVC_NAME). */
  static List<String> portName(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 15) errs.add(maxLen(15));
    if (!IANA_SVC_NAME.matcher(v).matches()) errs.add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    if (!HAS_LETTER.matcher(v).find()) errs.add("must contain at least one letter (a-z)");
    if (v.contains("--")) errs.add("must not contain consecutive hyphens");
    if (v.startsWith("-") || v.endsWith("-")) errs.add("must not begin or end with a hyphen");
    return errs;
  }

  /** A generateName is a name prefix: it is checked with trailing dashes trimmed, as Kubernetes does. */
  static String asPrefix(String v) {
    int end = v.length();
    while (end > 0 && v.charAt(end - 1) == '-') end--;
    return v.substring(0, end);
  }
}
