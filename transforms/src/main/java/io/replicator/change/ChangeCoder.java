package io.replicator.change;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.util.VarInt;

/**
 * A compact, deterministic coder for {@link Change}: three length-prefixed UTF-8 strings, one
 * byte for the op, the sequence as var-longs, the unchanged columns if any and, only for a partial
 * change, the key it moved from if any. Its size estimate is cheap (string lengths).
 */
public final class ChangeCoder extends CustomCoder<Change> {
  private static final ChangeCoder INSTANCE = new ChangeCoder();
  private static final StringUtf8Coder STRING = StringUtf8Coder.of();
  private static final VarLongCoder LONG = VarLongCoder.of();
  private static final VarIntCoder INT = VarIntCoder.of();
  private static final NullableCoder<String> UNCHANGED = NullableCoder.of(STRING);

  public static ChangeCoder of() {
    return INSTANCE;
  }

  private ChangeCoder() {}

  @Override
  public void encode(Change value, OutputStream out) throws IOException {
    STRING.encode(value.table(), out);
    out.write(value.op().ordinal());
    STRING.encode(value.key(), out);
    Sequence seq = value.sequence();
    INT.encode(seq.width(), out);
    for (int i = 0; i < seq.width(); i++) {
      LONG.encode(seq.part(i), out);
    }
    // As StringUtf8Coder writes it: the length, then the bytes.
    byte[] row = value.rowUtf8();
    VarInt.encode(row.length, out);
    out.write(row);
    UNCHANGED.encode(value.unchanged(), out);
    if (value.isPartial()) {
      UNCHANGED.encode(value.movedFrom(), out);
    }
  }

  @Override
  public Change decode(InputStream in) throws IOException {
    String table = STRING.decode(in);
    int op = in.read();
    if (op < 0 || op >= ChangeOp.values().length) {
      throw new CoderException("bad change op byte " + op);
    }
    String key = STRING.decode(in);
    int width = INT.decode(in);
    if (width < 1 || width > Sequence.MAX_PARTS) {
      throw new CoderException("bad sequence width " + width);
    }
    long[] parts = new long[width];
    for (int i = 0; i < width; i++) {
      parts[i] = LONG.decode(in);
    }
    // The row as StringUtf8Coder writes it, kept as bytes: staging writes them as they are.
    int rowBytes = VarInt.decodeInt(in);
    byte[] row = new byte[rowBytes];
    if (in.readNBytes(row, 0, rowBytes) != rowBytes) {
      throw new EOFException("a change's row ends early");
    }
    String unchanged = UNCHANGED.decode(in);
    String movedFrom = unchanged == null ? null : UNCHANGED.decode(in);
    return Change.ofUtf8Row(table, ChangeOp.values()[op], key, Sequence.of(parts), row, unchanged, movedFrom);
  }

  @Override
  public void verifyDeterministic() {}

  /** One instance per JVM, so a deserialised coder equals the original. */
  private Object readResolve() {
    return INSTANCE;
  }

  @Override
  public boolean isRegisterByteSizeObserverCheap(Change value) {
    return true;
  }

  @Override
  protected long getEncodedElementByteSize(Change value) {
    // An estimate: ASCII-sized strings plus small var-int headers.
    return value.table().length() + value.key().length() + value.rowJson().length()
        + (value.unchanged() == null ? 0 : value.unchanged().length()) + 8L * value.sequence().width() + 9;
  }
}
