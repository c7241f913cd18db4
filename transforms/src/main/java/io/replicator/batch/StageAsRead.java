package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.StagedBatch;
import io.replicator.change.StagedLine;
import io.replicator.common.Counters;
import io.replicator.common.LocalFiles;
import io.replicator.common.Sha256;
import io.replicator.source.DeadLetter;
import io.replicator.source.FileDecoder;
import io.replicator.source.ReadChanges;
import io.replicator.source.ReadOutput;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;

import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.ReadableFileCoder;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Stages snapshot files as they are read, for a warehouse that applies a run's batches as one change
 * set (DuckDB): each range of the input is decoded straight into a staged file of its own, in the
 * input's order, with no cutting by key, no reduce and no sort, and named by a digest of what it
 * holds. Keys the input holds more than once are found afterwards from each file's sorted key
 * hashes; only then are the input ranges that hold them read again, the latest row of each such key
 * kept (the one that {@link Change#supersedes} the others, as {@link LatestPerKey} keeps a whole
 * row), and the files that lost rows written again without them.
 * What comes out is the staged files, no two rows of which share a key, and the read's dead letters
 * (the decoder's, as from any read).
 *
 * <pre>{@code
 * StageAsRead.Result read = p.apply(StageAsRead.of(
 *     ReadChanges.from("export/*.jsonl").withFormat(InputFormat.SNAPSHOT_JSONL)
 *         .withTable("t").withSchema(schema).withSnapshotSequence(Sequence.of(1)), "/tmp/staging"));
 * read.staged().apply(MergeBatches.into(warehouse, table));
 * }</pre>
 *
 * <p>A batch id here is a digest of the table, the input file and range, and the staged lines, so
 * the same input staged again gets the same ids and a warehouse skips what it applied before. The
 * lines leave the id out (it is known only once they are written): the warehouse fills it in from
 * the batch as it loads them. Memory is the key hashes of one staged file (8 bytes a row) while it
 * is written, then the hashes held twice, and about 256 MB at most while keys held twice are
 * resolved (each key's latest row; more are resolved in slices of the hash space, each reading
 * their ranges again).
 */
public final class StageAsRead extends PTransform<PBegin, StageAsRead.Result> {
  static final TupleTag<Part> PARTS = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};
  private static final TupleTag<StagedBatch> STAGED = new TupleTag<>() {};

  private final ReadChanges read;
  private final String staging;
  private final long rangeBytes;
  private final long maxBytes;
  private final long maxRows;
  private final long heldBytesAtOnce;

  private StageAsRead(ReadChanges read, String staging, long rangeBytes, long maxBytes, long maxRows,
      long heldBytesAtOnce) {
    this.read = read;
    this.staging = staging;
    this.rangeBytes = rangeBytes;
    this.maxBytes = maxBytes;
    this.maxRows = maxRows;
    this.heldBytesAtOnce = heldBytesAtOnce;
  }

  /**
   * Heap that resolving keys held more than once may take at a time, estimated: each key's latest
   * row as a change (three times its staged line) and a hundred bytes a row. More is resolved in
   * slices of the hash space, each reading the ranges that hold them again.
   */
  static final long HELD_BYTES_AT_ONCE = 256L << 20;

  /** Stages what the snapshot read {@code read} reads under the local directory {@code staging}. */
  public static StageAsRead of(ReadChanges read, String staging) {
    if (staging == null || staging.isBlank()) {
      throw new IllegalArgumentException("a staging directory is required");
    }
    if (!LocalFiles.isLocal(staging)) {
      throw new IllegalArgumentException("staging as read writes to a local directory, not " + staging);
    }
    if (!read.decoder().readsSnapshot()) {
      throw new IllegalArgumentException("staging as read takes snapshot files (rows at one sequence), not change events");
    }
    return new StageAsRead(read, staging, SpillBatches.RANGE_BYTES, 256L << 20, 5_000_000L, HELD_BYTES_AT_ONCE);
  }

  /** Staged files of at most about {@code bytes} (a line past it starts the next) and {@code rows} rows. */
  public StageAsRead withBatchBounds(long bytes, long rows) {
    if (bytes < 1 || rows < 1) {
      throw new IllegalArgumentException("a staged file needs room for a byte and a row, got " + bytes + " and " + rows);
    }
    return new StageAsRead(read, staging, rangeBytes, bytes, rows, heldBytesAtOnce);
  }

  /** Splits uncompressed line files into ranges of about {@code bytes} (default 64 MB), each staged on its own. */
  public StageAsRead withRangeBytes(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("a range needs at least one byte, got " + bytes);
    }
    return new StageAsRead(read, staging, bytes, maxBytes, maxRows, heldBytesAtOnce);
  }

  /** Resolves keys held twice taking about {@code bytes} of heap at a time (tests: many slices). */
  StageAsRead withHeldBytesAtOnce(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("resolving needs some memory, got " + bytes + " bytes");
    }
    return new StageAsRead(read, staging, rangeBytes, maxBytes, maxRows, bytes);
  }

  @Override
  public Result expand(PBegin input) {
    PCollectionTuple written = writeParts(input);
    return new Result(input.getPipeline(), resolveParts(written.get(PARTS)), written.get(DEAD_LETTERS));
  }

  /** The first half: each range decoded into staged files of its own ({@link #PARTS}) and dead letters. */
  PCollectionTuple writeParts(PBegin input) {
    FileDecoder decoder = read.decoder();
    PCollectionTuple written = input
        .apply("Files", read.files())
        .apply("Split", ParDo.of(new SpillBatches.SplitFn(decoder, rangeBytes)))
        .setCoder(KvCoder.of(ReadableFileCoder.of(), OffsetRange.Coder.of()))
        .apply("Spread ranges", Reshuffle.viaRandomKey())
        .apply("Decode and stage", ParDo.of(new WriteFn(decoder, staging, maxBytes, maxRows))
            .withOutputTags(PARTS, TupleTagList.of(DEAD_LETTERS)));
    written.get(PARTS).setCoder(PartCoder.INSTANCE);
    written.get(DEAD_LETTERS).setCoder(DeadLetter.coder());
    return written;
  }

  /** The second half: every part gathered, and each key held more than once left in one of them. */
  PCollection<StagedBatch> resolveParts(PCollection<Part> parts) {
    return parts
        .apply("All parts", WithKeys.of(""))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), PartCoder.INSTANCE))
        .apply("Gather parts", GroupByKey.create())
        .apply("Keep the latest row per key",
            ParDo.of(new ResolveFn(read.decoder().readingAgain(), staging, heldBytesAtOnce)))
        .setCoder(StagedBatch.coder());
  }

  /** The staged batches, no two rows of which share a key, and what the read rejected. */
  public static final class Result extends ReadOutput<StagedBatch> {
    private Result(Pipeline pipeline, PCollection<StagedBatch> staged, PCollection<DeadLetter> deadLetters) {
      super(pipeline, STAGED, staged, DEAD_LETTERS, deadLetters);
    }

    public PCollection<StagedBatch> staged() {
      return read();
    }
  }

  /**
   * One staged file of a range of input: where it came from, the number of its first row among the
   * range's (from 1), its batch, its sorted key hashes' file, and the input's size and time of
   * change as it was read.
   */
  record Part(FileIO.ReadableFile source, OffsetRange range, long firstRow, StagedBatch batch, String keyHashes,
      long sourceSize, long sourceModified) {
    String sourceName() {
      return source.getMetadata().resourceId().toString();
    }
  }

  /** Codes a part with Beam's coders for a file and a range, and the batch's own. */
  static final class PartCoder extends CustomCoder<Part> {
    static final PartCoder INSTANCE = new PartCoder();

    @Override
    public void encode(Part p, OutputStream out) throws IOException {
      ReadableFileCoder.of().encode(p.source(), out);
      OffsetRange.Coder.of().encode(p.range(), out);
      VarLongCoder.of().encode(p.firstRow(), out);
      StagedBatch.coder().encode(p.batch(), out);
      StringUtf8Coder.of().encode(p.keyHashes(), out);
      VarLongCoder.of().encode(p.sourceSize(), out);
      VarLongCoder.of().encode(p.sourceModified(), out);
    }

    @Override
    public Part decode(InputStream in) throws IOException {
      return new Part(ReadableFileCoder.of().decode(in), OffsetRange.Coder.of().decode(in),
          VarLongCoder.of().decode(in), StagedBatch.coder().decode(in), StringUtf8Coder.of().decode(in),
          VarLongCoder.of().decode(in), VarLongCoder.of().decode(in));
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof PartCoder;
    }

    @Override
    public int hashCode() {
      return PartCoder.class.hashCode();
    }
  }

  /** A 64-bit hash of a key (FNV-1a over its chars, then a finalising mix): equal keys, equal hashes. */
  static long keyHash(String key) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0, n = key.length(); i < n; i++) {
      h = (h ^ key.charAt(i)) * 0x100000001b3L;
    }
    return mix(h);
  }

  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  /** The digest a staged file's id comes from, started with what names its input. */
  private static MessageDigest digestOf(String table, Part part) {
    return digestOf(table, part.sourceName(), part.range().getFrom(), part.firstRow());
  }

  private static MessageDigest digestOf(String table, String source, long from, long firstRow) {
    MessageDigest sha = Sha256.digest();
    sha.update(("staged as read\0" + table + "\0" + source + "\0" + from + "\0" + firstRow + "\0")
        .getBytes(StandardCharsets.UTF_8));
    return sha;
  }

  private static String idOf(MessageDigest sha) {
    return java.util.HexFormat.of().formatHex(sha.digest(), 0, StagedLine.BATCH_ID_LENGTH / 2);
  }

  /** Moves a file written under a name of its own to its batch's place; returns that place. */
  private static String placeAsBatch(Path written, String staging, String table, String id) throws IOException {
    Path file = LocalFiles.pathOf(StagingPaths.batchFile(staging, table, id).toString());
    Files.createDirectories(file.getParent());
    // The same input staged again (a retried range) writes the same lines under the same id.
    Files.move(written, file, StandardCopyOption.REPLACE_EXISTING);
    return file.toString();
  }

  /**
   * Decodes one range into staged files of its own (a new one past the batch bounds), and writes
   * each file's key hashes, sorted, beside it.
   */
  private static final class WriteFn extends DoFn<KV<FileIO.ReadableFile, OffsetRange>, Part> {
    private final FileDecoder decoder;
    private final String staging;
    private final long maxBytes;
    private final long maxRows;
    private final Counter cpu = Counters.counter(SpillBatches.DECODE_CPU_NANOS);

    WriteFn(FileDecoder decoder, String staging, long maxBytes, long maxRows) {
      this.decoder = decoder;
      this.staging = staging;
      this.maxBytes = maxBytes;
      this.maxRows = maxRows;
    }

    @ProcessElement
    public void process(@Element KV<FileIO.ReadableFile, OffsetRange> range, MultiOutputReceiver out)
        throws IOException {
      long cpuStart = Counters.threadCpuNanos();
      OutputReceiver<Part> parts = out.get(PARTS);
      // As it is before it is read: a later read of it (keys held twice) checks it is still so.
      MatchResult.Metadata stat = FileSystems.matchSingleFileSpec(range.getKey().getMetadata().resourceId().toString());
      PartWriter[] part = {null};
      long[] rowsBefore = {0};
      try {
        decoder.read(range.getKey(), range.getValue(), c -> {
          requireSnapshotRow(c);
          try {
            if (part[0] != null && (part[0].bytes >= maxBytes || part[0].rows >= maxRows)) {
              rowsBefore[0] += part[0].rows;
              parts.output(part[0].finish());
              part[0] = null;
            }
            if (part[0] == null) {
              part[0] = new PartWriter(staging, decoder.table(), range.getKey(), range.getValue(), rowsBefore[0] + 1,
                  stat);
            }
            part[0].write(c);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }, out.get(DEAD_LETTERS)::output);
        if (part[0] != null) {
          parts.output(part[0].finish());
          part[0] = null;
        }
      } finally {
        if (part[0] != null) {
          part[0].abandon();
        }
      }
      cpu.inc(Counters.threadCpuNanos() - cpuStart);
    }
  }

  /**
   * Writes one staged file of a range: its lines (without batch ids) through a digest, and its
   * keys' hashes, sorted into a file beside it when it is finished.
   */
  private static final class PartWriter {
    private final String staging;
    private final String table;
    private final FileIO.ReadableFile source;
    private final OffsetRange range;
    private final long firstRow;
    private final MatchResult.Metadata stat;
    private final Path written;
    private final Path hashesFile;
    private final MessageDigest sha;
    private final OutputStream out;
    private final StagedLine.Encoder lines = StagedLine.Encoder.withoutBatchId();
    private long[] hashes = new long[1024];
    long rows;
    long bytes;
    private long longest;
    private int width = 1;

    PartWriter(String staging, String table, FileIO.ReadableFile source, OffsetRange range, long firstRow,
        MatchResult.Metadata stat) throws IOException {
      this.staging = staging;
      this.table = table;
      this.source = source;
      this.range = range;
      this.firstRow = firstRow;
      this.stat = stat;
      // Names of its own per attempt: a retried range writes new files, and only the files of the
      // attempt that succeeded are passed on.
      Path dir = LocalFiles.pathOf(StagingPaths.tableDirectory(staging, table));
      Files.createDirectories(dir);
      String name = "as-read-" + UUID.randomUUID();
      written = dir.resolve(name + ".jsonl");
      hashesFile = dir.resolve(name + ".keys");
      sha = digestOf(table, source.getMetadata().resourceId().toString(), range.getFrom(), firstRow);
      out = new BufferedOutputStream(new DigestOutputStream(Files.newOutputStream(written), sha), 1 << 16);
    }

    void write(Change c) throws IOException {
      long line = lines.write(out, c, 0);
      bytes += line;
      longest = Math.max(longest, line);
      if (rows == hashes.length) {
        if (hashes.length >= 1 << 30) {
          throw new IllegalStateException("a staged file of " + source.getMetadata().resourceId()
              + " holds more rows than staging as read takes (2^30); lower --batchMaxRows");
        }
        hashes = Arrays.copyOf(hashes, hashes.length * 2);
      }
      hashes[(int) rows++] = keyHash(c.key());
      width = Math.max(width, c.sequence().width());
    }

    Part finish() throws IOException {
      out.close();
      Arrays.sort(hashes, 0, (int) rows);
      try (DataOutputStream keys = new DataOutputStream(
          new BufferedOutputStream(Files.newOutputStream(hashesFile), 1 << 16))) {
        for (int i = 0; i < rows; i++) {
          keys.writeLong(hashes[i]);
        }
      }
      String id = idOf(sha);
      String file = placeAsBatch(written, staging, table, id);
      return new Part(source, range, firstRow, new StagedBatch(table, id, file, rows, bytes, width, 0, longest),
          hashesFile.toString(), stat.sizeBytes(), stat.lastModifiedMillis());
    }

    void abandon() throws IOException {
      out.close();
      Files.deleteIfExists(written);
    }
  }

  /** What this staging takes: a snapshot's rows, whole UPSERTs at the snapshot's sequence. */
  private static void requireSnapshotRow(Change c) {
    if (c.op() != ChangeOp.UPSERT || c.isPartial() || c.movedFrom() != null) {
      // Named by kind only: a row's values stay out of messages.
      throw new IllegalStateException("staging as read takes whole snapshot rows of " + c.table() + ", not a "
          + (c.isPartial() ? "partial row" : c.op().name()));
    }
  }

  /**
   * A row of a key held more than once: where it was staged (its part, and its line there from 1)
   * and a digest of its staged line.
   */
  private record Held(int part, long line, long lineHash) {}

  /** A key held more than once, as its rows are read again: where each is, and which is the latest. */
  private static final class Resolving {
    final List<Held> rows = new ArrayList<>(2);
    Change latestRow;
    int latest;

    void add(Change c, Held at) {
      rows.add(at);
      if (latestRow == null || c.supersedes(latestRow)) {
        latestRow = c;
        latest = rows.size() - 1;
      }
    }
  }

  /** A 64-bit digest of a staged line's bytes, to check it against the row read again. */
  static long lineHash(byte[] bytes, int from, int to) {
    LineHash h = new LineHash();
    h.write(bytes, from, to - from);
    return h.value();
  }

  /** {@link #lineHash} of the bytes written to it: a row's line is digested as it is encoded, not copied. */
  private static final class LineHash extends OutputStream {
    private long h = 0xcbf29ce484222325L;

    @Override
    public void write(int b) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }

    @Override
    public void write(byte[] bytes, int off, int len) {
      long x = h;
      for (int i = off; i < off + len; i++) {
        x = (x ^ (bytes[i] & 0xff)) * 0x100000001b3L;
      }
      h = x;
    }

    long value() {
      return mix(h);
    }

    void reset() {
      h = 0xcbf29ce484222325L;
    }
  }

  /**
   * Finds the keys held more than once (their hashes equal in the merged sorted hash files), keeps
   * the latest row of each, writes again the files that lost rows, and passes all files on.
   */
  private static final class ResolveFn extends DoFn<KV<String, Iterable<Part>>, StagedBatch> {
    /** Heap resolving may take at a time, estimated: more is done in slices. */
    private final long heldBytesAtOnce;
    private final FileDecoder again;
    private final String staging;
    private final Counter batches = Counters.counter(StageBatches.BATCHES_STAGED);
    private final Counter rows = Counters.counter(StageBatches.ROWS_STAGED);
    private final Counter bytes = Counters.counter(StageBatches.BYTES_STAGED);
    private final Counter superseded = Counters.counter(StageBatches.CHANGES_SUPERSEDED);
    private final Counter cpu = Counters.counter(StageBatches.STAGE_CPU_NANOS);
    private final Distribution batchBytes = Counters.distribution("batch_bytes");

    ResolveFn(FileDecoder again, String staging, long heldBytesAtOnce) {
      this.again = again;
      this.staging = staging;
      this.heldBytesAtOnce = heldBytesAtOnce;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<Part>> all, OutputReceiver<StagedBatch> out) throws IOException {
      long cpuStart = Counters.threadCpuNanos();
      List<Part> parts = new ArrayList<>();
      all.getValue().forEach(parts::add);
      // In the input's order, so which of two equal rows is kept does not depend on the runner.
      parts.sort(Comparator.comparing(Part::sourceName).thenComparingLong(p -> p.range().getFrom())
          .thenComparingLong(Part::firstRow));
      HeldTwice twice = HeldTwice.in(parts);
      Map<Integer, BitSet> dropped = new HashMap<>();
      // Each slice of the hash space read again on its own, so what is held is bounded.
      long stagedRows = parts.stream().mapToLong(p -> p.batch().rows()).sum();
      long lineBytes = stagedRows == 0 ? 0 : parts.stream().mapToLong(p -> p.batch().bytes()).sum() / stagedRows;
      long held = 3 * lineBytes * twice.hashes().length + 100 * twice.rows();
      int slices = (int) Math.max(1, Math.min(1 << 16, (held + heldBytesAtOnce - 1) / heldBytesAtOnce));
      // Each range's parts (its staged files), in the order of their rows.
      Map<String, List<Integer>> ofRange = new HashMap<>();
      for (int i = 0; i < parts.size(); i++) {
        ofRange.computeIfAbsent(rangeOf(parts.get(i)), r -> new ArrayList<>()).add(i);
      }
      for (int slice = 0; slice < slices && twice.rows() > 0; slice++) {
        resolveSlice(parts, ofRange, twice, slice, slices, dropped);
      }
      for (int i = 0; i < parts.size(); i++) {
        Part part = parts.get(i);
        Files.deleteIfExists(Path.of(part.keyHashes()));
        StagedBatch batch = dropped.containsKey(i) ? withoutLines(part, dropped.get(i)) : part.batch();
        if (batch != null) {
          batches.inc();
          rows.inc(batch.rows());
          bytes.inc(batch.bytes());
          batchBytes.update(batch.bytes());
          out.output(batch);
        }
      }
      cpu.inc(Counters.threadCpuNanos() - cpuStart);
    }

    /**
     * Reads again the input ranges of the parts holding hashes seen twice, takes the rows whose
     * hash is in {@code slice}, and keeps each key's latest row as {@link LatestPerKey} keeps a
     * whole row (the one that {@link Change#supersedes} the others, the first of equal ones in the
     * input's order); marks the lines of the others in {@code dropped}, after checking that every
     * such row is the line it was staged as (a digest of each). Held meanwhile: each key's latest
     * row so far, and a few numbers a row.
     */
    private void resolveSlice(List<Part> parts, Map<String, List<Integer>> partsOfRange, HeldTwice twice, int slice,
        int slices, Map<Integer, BitSet> dropped) throws IOException {
      Map<String, Resolving> byKey = new HashMap<>();
      StagedLine.Encoder encoder = StagedLine.Encoder.withoutBatchId();
      LineHash line = new LineHash();
      Set<Integer> read = new HashSet<>();
      for (int i : twice.parts()) {
        if (read.contains(i)) {
          continue;
        }
        // Every staged file of this part's range, in the order of their rows: the range is read once.
        List<Integer> ofRange = partsOfRange.get(rangeOf(parts.get(i)));
        Part first = parts.get(ofRange.get(0));
        read.addAll(ofRange);
        requireUnchanged(first);
        long[] row = {0};
        again.read(first.source(), first.range(), c -> {
          row[0]++;
          long hash = keyHash(c.key());
          if (Math.floorMod(hash, slices) == slice && twice.holds(hash)) {
            int j = partOf(parts, ofRange, row[0]);
            line.reset();
            try {
              encoder.write(line, c, 0);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
            byKey.computeIfAbsent(c.key(), k -> new Resolving()).add(c,
                new Held(j, row[0] - parts.get(j).firstRow() + 1, line.value()));
          }
        }, rejected -> { });
        Part last = parts.get(ofRange.get(ofRange.size() - 1));
        long staged = last.firstRow() - 1 + last.batch().rows();
        if (row[0] != staged) {
          throw changedWhileRead(first, row[0] + " rows in the range from byte " + first.range().getFrom() + " now, "
              + staged + " when it was staged");
        }
      }
      Map<Integer, Map<Long, Long>> check = new HashMap<>();
      long lost = 0;
      for (Resolving key : byKey.values()) {
        if (key.rows.size() < 2) {
          continue; // Another key with the same hash.
        }
        for (int r = 0; r < key.rows.size(); r++) {
          Held h = key.rows.get(r);
          check.computeIfAbsent(h.part(), p -> new HashMap<>()).put(h.line(), h.lineHash());
          if (r != key.latest) {
            dropped.computeIfAbsent(h.part(), p -> new BitSet()).set((int) h.line());
            lost++;
          }
        }
      }
      for (Map.Entry<Integer, Map<Long, Long>> e : check.entrySet()) {
        requireStagedAsRead(parts.get(e.getKey()), e.getValue());
      }
      superseded.inc(lost);
    }

    /** Names a part's input range: its file and first byte. */
    private static String rangeOf(Part part) {
      return part.sourceName() + "\n" + part.range().getFrom();
    }

    /** Fails when a range's file is not the one that was staged (its size or time of change differ). */
    private static void requireUnchanged(Part part) throws IOException {
      MatchResult.Metadata now = FileSystems.matchSingleFileSpec(part.sourceName());
      if (now.sizeBytes() != part.sourceSize() || now.lastModifiedMillis() != part.sourceModified()) {
        throw changedWhileRead(part, "its size or time of change differ from when it was staged");
      }
    }

    /** Fails unless each line of {@code lineHashes} (from 1) is the part's line as it was staged. */
    private static void requireStagedAsRead(Part part, Map<Long, Long> lineHashes) throws IOException {
      forEachLine(Path.of(part.batch().file()), (number, line, from, to) -> {
        Long expected = lineHashes.get(number);
        if (expected != null && expected != lineHash(line, from, to)) {
          throw changedWhileRead(part, "line " + number + " of " + part.batch().file() + " is not the row read again");
        }
      });
    }

    private static IllegalStateException changedWhileRead(Part part, String how) {
      return new IllegalStateException(part.sourceName() + " changed while it was staged (" + how
          + "); nothing was merged: run again once it stays as it is");
    }

    /** Which of a range's parts ({@code ofRange}, in row order) holds its row {@code row} (from 1). */
    private static int partOf(List<Part> parts, List<Integer> ofRange, long row) {
      for (int j : ofRange) {
        Part p = parts.get(j);
        if (row >= p.firstRow() && row < p.firstRow() + p.batch().rows()) {
          return j;
        }
      }
      throw new IllegalStateException("row " + row + " of a range is in none of its staged files");
    }

    /** Writes a part again without the lines in {@code lost} (from 1); its batch, or null when nothing is left. */
    private StagedBatch withoutLines(Part part, BitSet lost) throws IOException {
      StagedBatch was = part.batch();
      Path old = Path.of(was.file());
      Path written = old.resolveSibling("as-read-" + UUID.randomUUID() + ".jsonl");
      MessageDigest sha = digestOf(was.table(), part);
      long[] kept = new long[3]; // rows, bytes, longest line
      try (OutputStream file = new BufferedOutputStream(new DigestOutputStream(Files.newOutputStream(written), sha),
          1 << 16)) {
        forEachLine(old, (number, line, from, to) -> {
          if (!lost.get((int) number)) {
            file.write(line, from, to - from);
            kept[0]++;
            kept[1] += to - from;
            kept[2] = Math.max(kept[2], to - from);
          }
        });
      }
      StagingPaths.delete(old.toString());
      if (kept[0] == 0) {
        Files.delete(written);
        return null;
      }
      String id = idOf(sha);
      String file = placeAsBatch(written, staging, was.table(), id);
      return new StagedBatch(was.table(), id, file, kept[0], kept[1], was.sequenceWidth(), 0, kept[2]);
    }
  }

  /** What is done with each line of a staged file (from 1): its bytes from {@code from} to {@code to}, newline included. */
  private interface LineConsumer {
    void accept(long number, byte[] bytes, int from, int to) throws IOException;
  }

  /**
   * Each line of a staged file: JSON, so a newline inside one is escaped and each ends at the next.
   * Lines are handed out of a buffer that grows to the longest.
   */
  private static void forEachLine(Path file, LineConsumer out) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      int end = 0;
      long number = 0;
      while (true) {
        int read = in.read(buffer, end, buffer.length - end);
        if (read < 0) {
          return; // Staged files end with a newline: nothing is left over.
        }
        end += read;
        int from = 0;
        for (int i = 0; i < end; i++) {
          if (buffer[i] == '\n') {
            out.accept(++number, buffer, from, i + 1);
            from = i + 1;
          }
        }
        // Keep the unfinished line at the buffer's start, growing it for a line longer than it.
        int left = end - from;
        if (from == 0 && left == buffer.length) {
          buffer = Arrays.copyOf(buffer, buffer.length * 2);
        } else {
          System.arraycopy(buffer, from, buffer, 0, left);
        }
        end = left;
      }
    }
  }

  /**
   * The key hashes seen more than once across the staged files (sorted), how many rows have them,
   * and which files hold them: found by merging each file's sorted hashes.
   */
  private record HeldTwice(long[] hashes, long rows, List<Integer> parts) {
    boolean holds(long hash) {
      return Arrays.binarySearch(hashes, hash) >= 0;
    }

    static HeldTwice in(List<Part> parts) throws IOException {
      List<DataInputStream> ins = new ArrayList<>();
      long[] twice = new long[16];
      int count = 0;
      long rows = 0;
      Set<Integer> holding = new HashSet<>();
      try {
        PriorityQueue<long[]> next = new PriorityQueue<>(Comparator.comparingLong((long[] e) -> e[0]));
        for (int i = 0; i < parts.size(); i++) {
          DataInputStream in = new DataInputStream(new BufferedInputStream(
              Files.newInputStream(Path.of(parts.get(i).keyHashes())), 1 << 16));
          ins.add(in);
          advance(in, i, next);
        }
        long current = 0;
        List<Integer> with = new ArrayList<>();
        while (true) {
          long[] e = next.poll();
          if (e == null || with.isEmpty() || e[0] != current) {
            if (with.size() > 1) {
              if (count == twice.length) {
                twice = Arrays.copyOf(twice, count * 2);
              }
              twice[count++] = current;
              rows += with.size();
              holding.addAll(with);
            }
            if (e == null) {
              break;
            }
            current = e[0];
            with.clear();
          }
          with.add((int) e[1]);
          advance(ins.get((int) e[1]), (int) e[1], next);
        }
      } finally {
        for (DataInputStream in : ins) {
          in.close();
        }
      }
      List<Integer> order = new ArrayList<>(holding);
      order.sort(null);
      // Merged in order, so already sorted.
      return new HeldTwice(Arrays.copyOf(twice, count), rows, order);
    }

    private static void advance(DataInputStream in, int part, PriorityQueue<long[]> next) throws IOException {
      try {
        next.add(new long[] {in.readLong(), part});
      } catch (EOFException e) {
        // This part's hashes are all merged.
      }
    }
  }
}
