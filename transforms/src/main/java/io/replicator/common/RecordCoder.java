package io.replicator.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * The one way a small value is coded here: its fields in order, each with Beam's own coder for its
 * kind, so the encoding is deterministic and explicit (never Java serialization). A value class
 * says what it writes and how it reads it back:
 *
 * <pre>{@code
 * static final RecordCoder<ObjectInfo> CODER = RecordCoder.of(ObjectInfo.class,
 *     (o, out) -> out.string(o.key()).varLong(o.size()),
 *     in -> new ObjectInfo(in.string(), in.varLong()));
 * }</pre>
 *
 * <p>Two coders of one class are equal, so a coder that was serialized equals the original.
 */
public final class RecordCoder<T> extends CustomCoder<T> {
  /** Writes a value's fields. */
  public interface Writer<T> extends Serializable {
    void write(T value, Out out) throws IOException;
  }

  /** Reads them back, in the same order. */
  public interface Reader<T> extends Serializable {
    T read(In in) throws IOException;
  }

  private static final StringUtf8Coder STRING = StringUtf8Coder.of();
  private static final NullableCoder<String> NULLABLE_STRING = NullableCoder.of(STRING);
  private static final VarLongCoder LONG = VarLongCoder.of();
  private static final VarIntCoder INT = VarIntCoder.of();

  private final Class<T> type;
  private final Writer<T> writer;
  private final Reader<T> reader;

  private RecordCoder(Class<T> type, Writer<T> writer, Reader<T> reader) {
    this.type = type;
    this.writer = writer;
    this.reader = reader;
  }

  public static <T> RecordCoder<T> of(Class<T> type, Writer<T> writer, Reader<T> reader) {
    return new RecordCoder<>(type, writer, reader);
  }

  @Override
  public void encode(T value, OutputStream out) throws IOException {
    writer.write(value, new Out(out));
  }

  @Override
  public T decode(InputStream in) throws IOException {
    return reader.read(new In(in));
  }

  @Override
  public void verifyDeterministic() {
    // Every field is written with a deterministic coder, in a fixed order.
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RecordCoder<?> c && c.type == type;
  }

  @Override
  public int hashCode() {
    return type.hashCode();
  }

  @Override
  public String toString() {
    return "RecordCoder<" + type.getSimpleName() + ">";
  }

  /** Where a value's fields are written. */
  public static final class Out {
    private final OutputStream out;

    Out(OutputStream out) {
      this.out = out;
    }

    public Out string(String s) throws IOException {
      STRING.encode(s, out);
      return this;
    }

    public Out nullableString(String s) throws IOException {
      NULLABLE_STRING.encode(s, out);
      return this;
    }

    public Out varLong(long v) throws IOException {
      LONG.encode(v, out);
      return this;
    }

    public Out varInt(int v) throws IOException {
      INT.encode(v, out);
      return this;
    }

    public Out bool(boolean v) throws IOException {
      out.write(v ? 1 : 0);
      return this;
    }

    /** A field with a coder of its own (another value's, an enum's ordinal as {@link #varInt}). */
    public <V> Out with(Coder<V> coder, V value) throws IOException {
      coder.encode(value, out);
      return this;
    }
  }

  /** Where they are read from. */
  public static final class In {
    private final InputStream in;

    In(InputStream in) {
      this.in = in;
    }

    public String string() throws IOException {
      return STRING.decode(in);
    }

    public String nullableString() throws IOException {
      return NULLABLE_STRING.decode(in);
    }

    public long varLong() throws IOException {
      return LONG.decode(in);
    }

    public int varInt() throws IOException {
      return INT.decode(in);
    }

    public boolean bool() throws IOException {
      int b = in.read();
      if (b < 0) {
        throw new java.io.EOFException("a field ends early");
      }
      return b == 1;
    }

    public <V> V with(Coder<V> coder) throws IOException {
      return coder.decode(in);
    }
  }
}
