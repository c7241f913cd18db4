package io.replicator.warehouse.spi;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.replicator.change.Json;
import io.replicator.change.DeleteMode;
import io.replicator.change.TargetTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * What a target was created with and every later run must agree with: its key columns and its
 * delete mode. A warehouse records it when it creates the target; a target from before the record
 * existed has it read from its structure (tombstone columns, or the NOT NULL columns of a
 * soft-delete target).
 *
 * @param keyColumns the key, in the order it was given
 * @param deleteMode how deletes are applied
 */
public record TableContract(List<String> keyColumns, DeleteMode deleteMode) {
  private static final JsonFactory JSON = new JsonFactory();

  public static TableContract of(TargetTable table) {
    return new TableContract(table.schema().keyColumns(), table.deleteMode());
  }

  /**
   * The contract {@code table} must keep, checked: the recorded one, or for a target from before
   * the record (null) the key its structure tells (null: the run's own). The caller records what
   * this returns when nothing was recorded.
   *
   * @throws WarehouseException when the run disagrees with it
   */
  public static TableContract checked(TableContract recorded, List<String> structuralKey, TargetTable table,
      String where) {
    TableContract contract = recorded != null ? recorded
        : structuralKey != null ? new TableContract(structuralKey, table.deleteMode()) : of(table);
    contract.check(table, where);
    return contract;
  }

  /** From a recorded row: the key columns as a JSON array, the delete mode's name. */
  public static TableContract parse(String keyColumnsJson, String deleteMode) {
    List<String> keys = new ArrayList<>();
    try (JsonParser p = JSON.createParser(keyColumnsJson)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new WarehouseException("the recorded key of a target is not a JSON array: " + keyColumnsJson);
      }
      while (p.nextToken() == JsonToken.VALUE_STRING) {
        keys.add(p.getText());
      }
    } catch (IOException e) {
      throw new WarehouseException("the recorded key of a target is not a JSON array: " + keyColumnsJson, e);
    }
    return new TableContract(keys, DeleteMode.valueOf(deleteMode.toUpperCase(Locale.ROOT)));
  }

  /** The key columns as recorded: a JSON array of their names. */
  public String keyColumnsJson() {
    StringJoiner j = new StringJoiner(",", "[", "]");
    keyColumns.forEach(k -> j.add(Json.quote(k)));
    return j.toString();
  }

  /**
   * Refuses a run whose table disagrees: other key columns (the same ones in another order agree:
   * a key is a set of columns) or another delete mode. {@code where} names the target in the message.
   */
  public void check(TargetTable table, String where) {
    StringJoiner problems = new StringJoiner("; ");
    List<String> given = table.schema().keyColumns();
    if (!lowerCase(keyColumns).equals(lowerCase(given))) {
      problems.add("it was created with key (" + String.join(", ", keyColumns) + ") and this run gives ("
          + String.join(", ", given) + "): give --keys=" + String.join(",", keyColumns)
          + ", or replicate into a new table");
    }
    if (deleteMode != table.deleteMode()) {
      problems.add("it was created with --deletes=" + deleteMode.name().toLowerCase(Locale.ROOT));
    }
    if (problems.length() > 0) {
      throw new WarehouseException("table " + table.name() + " in " + where + " does not match this run: " + problems);
    }
  }

  private static HashSet<String> lowerCase(List<String> names) {
    HashSet<String> set = new HashSet<>();
    names.forEach(n -> set.add(n.toLowerCase(Locale.ROOT)));
    return set;
  }
}
