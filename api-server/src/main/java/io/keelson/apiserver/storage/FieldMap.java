package io.keelson.apiserver.storage;

import java.util.AbstractCollection;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The fields of one JSON object ({@link CompactNodeFactory}): an insertion-ordered map that behaves
 * like the {@link java.util.LinkedHashMap} Jackson uses by default (a new key goes last, replacing a
 * value keeps its place, removal keeps the others' order; iterators support {@code remove}, entries
 * {@code setValue}; equals and hashCode as any Map), in about half the memory: an array of entries
 * scanned in order, and a hash index only once an object has many fields. The watch cache keeps
 * every current object as such a tree, and most JSON objects have a handful of fields, where a
 * LinkedHashMap costs its own 64 bytes, a hash table, a 40-byte entry per field and a cached entry
 * set view. Not thread-safe, and, unlike LinkedHashMap, its iterators do not detect concurrent
 * modification.
 */
public final class FieldMap implements Map<String, JsonNode> {

  /** From this many fields on, lookups use a hash index instead of scanning the entries. */
  static final int INDEX_FROM = 9;

  /** One field; also the entry iterators return (setValue writes through). */
  private static final class Field implements Map.Entry<String, JsonNode> {
    final String key;
    final int hash; // the key's hashCode: fits in the object's padding, and spares most equals calls
    JsonNode value;

    Field(String key, int hash, JsonNode value) {
      this.key = key;
      this.hash = hash;
      this.value = value;
    }

    @Override
    public String getKey() {
      return key;
    }

    @Override
    public JsonNode getValue() {
      return value;
    }

    @Override
    public JsonNode setValue(JsonNode v) {
      JsonNode old = value;
      value = v;
      return old;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Map.Entry<?, ?> e && Objects.equals(key, e.getKey()) && Objects.equals(value, e.getValue());
    }

    @Override
    public int hashCode() {
      return Objects.hashCode(key) ^ Objects.hashCode(value);
    }

    @Override
    public String toString() {
      return key + "=" + value;
    }
  }

  private static final Field[] NONE = new Field[0];

  /**
   * Recently added field names, by hash: a name built by code (managedFields' "f:..." keys are
   * concatenated per write) is replaced by an equal one already in use, so that thousands of trees
   * share one String instead of each keeping its own. Lossy and racy on purpose (Strings are
   * immutable; a lost write only loses the sharing). Parsed names are already shared by Jackson.
   */
  private static final String[] NAMES = new String[8192];

  private static String canonical(String key) {
    if (key == null || key.length() > 64) return key;
    int h = key.hashCode();
    int slot = (h ^ (h >>> 13)) & (NAMES.length - 1);
    String c = NAMES[slot];
    if (c == key) return c;
    if (key.equals(c)) return c;
    NAMES[slot] = key;
    return key;
  }

  private Field[] fields = NONE;
  private int size;
  /** Open addressing over positions + 1 (0 = free), when size >= INDEX_FROM; else null. */
  private int[] index;

  public FieldMap() {}

  /**
   * A copy whose values are {@code copyValue} of these (deep copies): the same names and hashes in
   * the same order, sized exactly, without looking any name up again.
   */
  FieldMap copy(java.util.function.UnaryOperator<JsonNode> copyValue) {
    FieldMap c = new FieldMap();
    if (size == 0) return c;
    Field[] f = new Field[size];
    for (int i = 0; i < size; i++) {
      Field x = fields[i];
      f[i] = new Field(x.key, x.hash, x.value == null ? null : copyValue.apply(x.value));
    }
    c.fields = f;
    c.size = size;
    if (index != null) c.index = index.clone();
    return c;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public boolean isEmpty() {
    return size == 0;
  }

  private static int slot(int hash, int mask) {
    return (hash ^ (hash >>> 16)) & mask;
  }

  /** Position of {@code key}, or -1. */
  private int find(Object key) {
    int h = key == null ? 0 : key.hashCode();
    if (index == null) {
      Field[] f = fields;
      for (int i = 0; i < size; i++) {
        Field x = f[i];
        if (x.hash == h && (x.key == key || (key != null && key.equals(x.key)))) return i;
      }
      return -1;
    }
    int mask = index.length - 1;
    for (int s = slot(h, mask); ; s = (s + 1) & mask) {
      int p = index[s];
      if (p == 0) return -1;
      Field x = fields[p - 1];
      if (x.hash == h && Objects.equals(x.key, key)) return p - 1;
    }
  }

  private void rebuildIndex() {
    if (size < INDEX_FROM) {
      index = null;
      return;
    }
    int cap = Integer.highestOneBit(size * 3) << 1; // load <= 1/3..2/3
    int[] ix = new int[cap];
    int mask = cap - 1;
    for (int i = 0; i < size; i++) {
      int s = slot(fields[i].hash, mask);
      while (ix[s] != 0) s = (s + 1) & mask;
      ix[s] = i + 1;
    }
    index = ix;
  }

  @Override
  public boolean containsKey(Object key) {
    return find(key) >= 0;
  }

  @Override
  public boolean containsValue(Object value) {
    for (int i = 0; i < size; i++) if (Objects.equals(value, fields[i].value)) return true;
    return false;
  }

  @Override
  public JsonNode get(Object key) {
    int i = find(key);
    return i < 0 ? null : fields[i].value;
  }

  @Override
  public JsonNode put(String key, JsonNode value) {
    int i = find(key);
    if (i >= 0) {
      Field f = fields[i];
      JsonNode old = f.value;
      f.value = value;
      return old;
    }
    if (size == fields.length) {
      int cap = size < 2 ? 2 : size < 8 ? size * 2 : size + (size >> 1);
      fields = Arrays.copyOf(fields, cap);
    }
    Field added = new Field(canonical(key), key == null ? 0 : key.hashCode(), value);
    fields[size++] = added;
    if (index != null && size * 3 <= index.length * 2) {
      int mask = index.length - 1;
      int s = slot(added.hash, mask);
      while (index[s] != 0) s = (s + 1) & mask;
      index[s] = size;
    } else if (size >= INDEX_FROM) {
      rebuildIndex();
    }
    return null;
  }

  @Override
  public JsonNode remove(Object key) {
    int i = find(key);
    if (i < 0) return null;
    JsonNode old = fields[i].value;
    removeAt(i);
    return old;
  }

  private void removeAt(int i) {
    System.arraycopy(fields, i + 1, fields, i, size - i - 1);
    fields[--size] = null;
    if (index != null) rebuildIndex();
  }

  @Override
  public void putAll(Map<? extends String, ? extends JsonNode> m) {
    for (Map.Entry<? extends String, ? extends JsonNode> e : m.entrySet()) put(e.getKey(), e.getValue());
  }

  @Override
  public void clear() {
    Arrays.fill(fields, 0, size, null);
    size = 0;
    index = null;
  }

  // ---------------------------------------------------------------- views (made per call: they hold nothing)

  /**
   * Iterates the fields in order, each seen through {@code part} (the entry, its key or its value:
   * one iterator for the three views); {@code remove} removes the last field returned.
   */
  private final class FieldIterator<R> implements Iterator<R> {
    private final java.util.function.Function<Field, R> part;
    private int next;
    private int last = -1;

    FieldIterator(java.util.function.Function<Field, R> part) {
      this.part = part;
    }

    @Override
    public boolean hasNext() {
      return next < size;
    }

    @Override
    public R next() {
      if (next >= size) throw new NoSuchElementException();
      last = next++;
      return part.apply(fields[last]);
    }

    @Override
    public void remove() {
      if (last < 0) throw new IllegalStateException();
      removeAt(last);
      next = last;
      last = -1;
    }
  }

  @Override
  public Set<Map.Entry<String, JsonNode>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<Map.Entry<String, JsonNode>> iterator() {
        return new FieldIterator<>(f -> f);
      }

      @Override
      public int size() {
        return size;
      }

      @Override
      public boolean contains(Object o) {
        if (!(o instanceof Map.Entry<?, ?> e)) return false;
        int i = find(e.getKey());
        return i >= 0 && Objects.equals(fields[i].value, e.getValue());
      }

      @Override
      public boolean remove(Object o) {
        if (!(o instanceof Map.Entry<?, ?> e)) return false;
        int i = find(e.getKey());
        if (i < 0 || !Objects.equals(fields[i].value, e.getValue())) return false;
        removeAt(i);
        return true;
      }

      @Override
      public void clear() {
        FieldMap.this.clear();
      }
    };
  }

  @Override
  public Set<String> keySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<String> iterator() {
        return new FieldIterator<>(f -> f.key);
      }

      @Override
      public int size() {
        return size;
      }

      @Override
      public boolean contains(Object o) {
        return find(o) >= 0;
      }

      @Override
      public boolean remove(Object o) {
        int i = find(o);
        if (i < 0) return false;
        removeAt(i);
        return true;
      }

      @Override
      public void clear() {
        FieldMap.this.clear();
      }
    };
  }

  @Override
  public Collection<JsonNode> values() {
    return new AbstractCollection<>() {
      @Override
      public Iterator<JsonNode> iterator() {
        return new FieldIterator<>(f -> f.value);
      }

      @Override
      public int size() {
        return size;
      }

      @Override
      public boolean contains(Object o) {
        return containsValue(o);
      }

      @Override
      public void clear() {
        FieldMap.this.clear();
      }
    };
  }

  @Override
  public void forEach(java.util.function.BiConsumer<? super String, ? super JsonNode> action) {
    for (int i = 0; i < size; i++) action.accept(fields[i].key, fields[i].value);
  }

  // ---------------------------------------------------------------- as any Map

  @Override
  public boolean equals(Object o) {
    if (o == this) return true;
    if (!(o instanceof Map<?, ?> m) || m.size() != size) return false;
    for (int i = 0; i < size; i++) {
      Field f = fields[i];
      Object v = m.get(f.key);
      if (f.value == null) {
        if (v != null || !m.containsKey(f.key)) return false;
      } else if (!f.value.equals(v)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 0;
    for (int i = 0; i < size; i++) h += fields[i].hashCode();
    return h;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < size; i++) {
      if (i > 0) b.append(", ");
      b.append(fields[i].key).append('=').append(fields[i].value);
    }
    return b.append('}').toString();
  }
}
