package io.keelson.client.json;

/**
 * Cuts the first {@code "managedFields":[...]} member out of a JSON document's bytes, in place, for
 * readers that ignore managedFields anyway ({@link LeanSerialization}).
 *
 * <p>Why: ignoring a property still makes Jackson tokenize all of it, and a pod's managedFields
 * (one entry per writer, each a tree of {@code "f:..."} names that go through the parser's name
 * table) are ~40% of its JSON after a status report. Finding the member with a scan that only
 * tracks strings and brackets, and dropping it before the parser runs, is several times cheaper.
 *
 * <p>Only a member named exactly {@code managedFields} whose value is an array is cut (in the
 * Kubernetes API that is {@code metadata.managedFields}; an annotation or label of that name has a
 * string value and stays), and only the first one: a watch event or assigned pod carries one object,
 * and its metadata comes before anything else that could hold another (a template's metadata has
 * none). Text that is not well-formed JSON is left as it is (the parser then reports it).
 */
public final class ManagedFieldsCutter {
  private static final byte[] NAME = "\"managedFields\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private ManagedFieldsCutter() {}

  /** Cuts the member from {@code buf[0..len)}; returns the new length (the same if there was none). */
  public static int cut(byte[] buf, int len) {
    for (int i = 0; i < len; i++) {
      if (buf[i] != '"') {
        continue;
      }
      if (startsWith(buf, len, i, NAME)) {
        int colon = skipSpace(buf, len, i + NAME.length);
        if (colon < len && buf[colon] == ':') {
          int value = skipSpace(buf, len, colon + 1);
          if (value < len && buf[value] == '[') {
            int end = skipArray(buf, len, value);
            return end < 0 ? len : remove(buf, len, i, end);
          }
        }
      }
      i = stringEnd(buf, len, i);
    }
    return len;
  }

  /** Removes the member {@code [start, end)} and the comma that separates it from a neighbour. */
  private static int remove(byte[] buf, int len, int start, int end) {
    int before = start - 1;
    while (before >= 0 && isSpace(buf[before])) {
      before--;
    }
    int from = start;
    int to = end;
    if (before >= 0 && buf[before] == ',') {
      from = before; // ...,"managedFields":[...]  -> ...
    } else {
      int after = skipSpace(buf, len, end);
      if (after < len && buf[after] == ',') {
        to = after + 1; // {"managedFields":[...],...  -> {...
      }
    }
    System.arraycopy(buf, to, buf, from, len - to);
    return len - (to - from);
  }

  /** The index after the array that starts at {@code open}, or -1 if it does not end. */
  private static int skipArray(byte[] buf, int len, int open) {
    int depth = 0;
    for (int i = open; i < len; i++) {
      byte c = buf[i];
      if (c == '"') {
        i = stringEnd(buf, len, i);
      } else if (c == '[' || c == '{') {
        depth++;
      } else if (c == ']' || c == '}') {
        if (--depth == 0) {
          return i + 1;
        }
      }
    }
    return -1;
  }

  /** The index of the quote that closes the string opened at {@code open}, or len if none does. */
  private static int stringEnd(byte[] buf, int len, int open) {
    for (int i = open + 1; i < len; i++) {
      if (buf[i] == '\\') {
        i++;
      } else if (buf[i] == '"') {
        return i;
      }
    }
    return len;
  }

  private static boolean startsWith(byte[] buf, int len, int at, byte[] prefix) {
    if (at + prefix.length > len) {
      return false;
    }
    for (int j = 1; j < prefix.length; j++) { // buf[at] is the opening quote already
      if (buf[at + j] != prefix[j]) {
        return false;
      }
    }
    return true;
  }

  private static int skipSpace(byte[] buf, int len, int i) {
    while (i < len && isSpace(buf[i])) {
      i++;
    }
    return i;
  }

  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }
}
