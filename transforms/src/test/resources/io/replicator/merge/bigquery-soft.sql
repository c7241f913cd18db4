-- create
CREATE TABLE IF NOT EXISTS `my-project`.`data\`set`.`order\`s` (
  `select` INT64 NOT NULL,
  `na\`me` STRING NOT NULL,
  `설명` BYTES,
  `날짜` DATE,
  `_sequence_num` INT64 NOT NULL,
  `_is_deleted` BOOL NOT NULL
)
PARTITION BY RANGE_BUCKET(`select`, GENERATE_ARRAY(0, 1000000, 1000))
CLUSTER BY `na\`me`, `날짜`;
CREATE TABLE IF NOT EXISTS `my-project`.`data\`set`.`_replicator_batches` (table_name STRING NOT NULL, batch_id STRING NOT NULL, applied_at TIMESTAMP NOT NULL, rows_staged INT64, inserted INT64, updated INT64, deleted INT64)
CLUSTER BY table_name;
CREATE TABLE IF NOT EXISTS `my-project`.`data\`set`.`_replicator_reloads` (table_name STRING NOT NULL, fingerprint STRING NOT NULL, sequence_num INT64 NOT NULL, started_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS `my-project`.`data\`set`.`_replicator_tables` (table_name STRING NOT NULL, key_columns STRING NOT NULL, delete_mode STRING NOT NULL, recorded_at TIMESTAMP NOT NULL);

-- widen the sequence from 1 to 2 parts
ALTER TABLE `my-project`.`data\`set`.`order\`s` ADD COLUMN IF NOT EXISTS `_sequence_num_2` INT64;
UPDATE `my-project`.`data\`set`.`order\`s` SET `_sequence_num_2` = IFNULL(`_sequence_num_2`, 0) WHERE `_sequence_num_2` IS NULL;

-- merge one batch
DECLARE already_applied BOOL DEFAULT FALSE;
DECLARE without_base ARRAY<STRING> DEFAULT [];
DECLARE n_inserted, n_updated, n_deleted, n_effective INT64 DEFAULT 0;
BEGIN TRANSACTION;
SET already_applied = (SELECT COUNT(*) FROM `my-project`.`data\`set`.`_replicator_batches` WHERE table_name = @table_name AND batch_id = @batch_id) > 0;
IF NOT already_applied THEN
CREATE TEMP TABLE `_effective` AS
SELECT s.`select` AS `select`, s.`na\`me` AS `na\`me`, s.`설명` AS `설명`, s.`날짜` AS `날짜`, s.`_op` AS `_op`, COALESCE(s.`_sequence_num`, 0) AS `_sequence_num`, COALESCE(s.`_sequence_num_2`, 0) AS `_sequence_num_2`, (t.`select` IS NOT NULL AND NOT t.`_is_deleted`) AS `_exists`
FROM `my-project`.`data\`set`.`_staging_order\`s_00ff` AS s
LEFT JOIN `my-project`.`data\`set`.`order\`s` AS t ON t.`select` = s.`select` AND t.`na\`me` = s.`na\`me`
WHERE s.`_batch_id` = @batch_id
  AND (t.`select` IS NULL OR (COALESCE(s.`_sequence_num`, 0) > t.`_sequence_num` OR (COALESCE(s.`_sequence_num`, 0) = t.`_sequence_num` AND COALESCE(s.`_sequence_num_2`, 0) > t.`_sequence_num_2`)));
SET (n_inserted, n_updated, n_deleted, n_effective) = (SELECT AS STRUCT IFNULL(c.inserted, 0), IFNULL(c.updated, 0), IFNULL(c.deleted, 0), c.effective FROM (SELECT SUM(CASE WHEN `_op` = 'UPSERT' AND NOT `_exists` THEN 1 ELSE 0 END) AS inserted, SUM(CASE WHEN `_op` = 'UPSERT' AND `_exists` THEN 1 ELSE 0 END) AS updated, SUM(CASE WHEN `_op` = 'DELETE' AND `_exists` THEN 1 ELSE 0 END) AS deleted, COUNT(*) AS effective FROM `_effective`) AS c);
MERGE INTO `my-project`.`data\`set`.`order\`s` AS t
USING `_effective` AS e
ON t.`select` = e.`select` AND t.`na\`me` = e.`na\`me`
WHEN MATCHED AND e.`_op` = 'DELETE' THEN UPDATE SET `_sequence_num` = e.`_sequence_num`, `_sequence_num_2` = e.`_sequence_num_2`, `_is_deleted` = TRUE
WHEN MATCHED THEN UPDATE SET t.`설명` = e.`설명`, t.`날짜` = e.`날짜`, `_sequence_num` = e.`_sequence_num`, `_sequence_num_2` = e.`_sequence_num_2`, `_is_deleted` = FALSE
WHEN NOT MATCHED AND e.`_op` = 'DELETE' THEN INSERT (`select`, `na\`me`, `_sequence_num`, `_sequence_num_2`, `_is_deleted`)
  VALUES (e.`select`, e.`na\`me`, e.`_sequence_num`, e.`_sequence_num_2`, TRUE)
WHEN NOT MATCHED THEN INSERT (`select`, `na\`me`, `설명`, `날짜`, `_sequence_num`, `_sequence_num_2`, `_is_deleted`)
  VALUES (e.`select`, e.`na\`me`, e.`설명`, e.`날짜`, e.`_sequence_num`, e.`_sequence_num_2`, FALSE);
INSERT INTO `my-project`.`data\`set`.`_replicator_batches` (table_name, batch_id, applied_at, rows_staged, inserted, updated, deleted)
  VALUES (@table_name, @batch_id, CURRENT_TIMESTAMP(), @rows_staged, n_inserted, n_updated, n_deleted);
END IF;
COMMIT TRANSACTION;
SELECT already_applied, n_inserted AS inserted, n_updated AS updated, n_deleted AS deleted, n_effective AS effective, TO_JSON_STRING(without_base) AS without_base;

-- merge one batch with partial rows
DECLARE already_applied BOOL DEFAULT FALSE;
DECLARE without_base ARRAY<STRING> DEFAULT [];
DECLARE n_inserted, n_updated, n_deleted, n_effective INT64 DEFAULT 0;
BEGIN TRANSACTION;
SET already_applied = (SELECT COUNT(*) FROM `my-project`.`data\`set`.`_replicator_batches` WHERE table_name = @table_name AND batch_id = @batch_id) > 0;
IF NOT already_applied THEN
CREATE TEMP TABLE `_effective` AS
WITH `_newer` AS (
  SELECT s.*, (t.`select` IS NOT NULL AND NOT t.`_is_deleted`) AS `_live`, COALESCE(s.`_step`, 0) AS `_pos`,
    MAX(CASE WHEN s.`_op` = 'DELETE' THEN COALESCE(s.`_step`, 0) END) OVER (PARTITION BY s.`select`, s.`na\`me`) AS `_cut`
  FROM `my-project`.`data\`set`.`_staging_order\`s_00ff` AS s
  LEFT JOIN `my-project`.`data\`set`.`order\`s` AS t ON t.`select` = s.`select` AND t.`na\`me` = s.`na\`me`
  WHERE s.`_batch_id` = @batch_id
    AND (t.`select` IS NULL OR (COALESCE(s.`_sequence_num`, 0) > t.`_sequence_num` OR (COALESCE(s.`_sequence_num`, 0) = t.`_sequence_num` AND COALESCE(s.`_sequence_num_2`, 0) > t.`_sequence_num_2`)))
),
`_fold` AS (
  SELECT n.`select` AS `select`,
    n.`na\`me` AS `na\`me`,
    ARRAY_AGG(IF(n.`_op` = 'UPSERT' AND n.`_pos` > COALESCE(n.`_cut`, -1) AND NOT COALESCE('설명' IN UNNEST(n.`_unchanged`), FALSE), STRUCT(n.`설명` AS v), NULL) IGNORE NULLS ORDER BY n.`_pos` DESC LIMIT 1)[SAFE_OFFSET(0)].v AS `설명`,
    LOGICAL_OR(n.`_op` = 'UPSERT' AND n.`_pos` > COALESCE(n.`_cut`, -1) AND NOT COALESCE('설명' IN UNNEST(n.`_unchanged`), FALSE)) AS `_set_2`,
    ARRAY_AGG(IF(n.`_op` = 'UPSERT' AND n.`_pos` > COALESCE(n.`_cut`, -1) AND NOT COALESCE('날짜' IN UNNEST(n.`_unchanged`), FALSE), STRUCT(n.`날짜` AS v), NULL) IGNORE NULLS ORDER BY n.`_pos` DESC LIMIT 1)[SAFE_OFFSET(0)].v AS `날짜`,
    LOGICAL_OR(n.`_op` = 'UPSERT' AND n.`_pos` > COALESCE(n.`_cut`, -1) AND NOT COALESCE('날짜' IN UNNEST(n.`_unchanged`), FALSE)) AS `_set_3`,
    ARRAY_AGG(n.`_op` ORDER BY n.`_pos` DESC LIMIT 1)[OFFSET(0)] AS `_op`,
    ARRAY_AGG(COALESCE(n.`_sequence_num`, 0) ORDER BY n.`_pos` DESC LIMIT 1)[OFFSET(0)] AS `_sequence_num`,
    ARRAY_AGG(COALESCE(n.`_sequence_num_2`, 0) ORDER BY n.`_pos` DESC LIMIT 1)[OFFSET(0)] AS `_sequence_num_2`,
    LOGICAL_OR(n.`_live`) AS `_exists`,
    LOGICAL_OR(n.`_cut` IS NOT NULL) AS `_deleted`,
    COUNT(*) AS `_folded`
  FROM `_newer` AS n
  GROUP BY 1, 2
)
SELECT f.`select`, f.`na\`me`, f.`설명`, f.`_set_2`, f.`날짜`, f.`_set_3`, f.`_op`, f.`_sequence_num`, f.`_sequence_num_2`, f.`_exists`, f.`_folded`, (f.`_op` = 'UPSERT' AND NOT (f.`_set_2` AND f.`_set_3`) AND NOT (f.`_exists` AND NOT f.`_deleted`)) AS `_without_base`
FROM `_fold` AS f;
SET without_base = ARRAY(SELECT TO_JSON_STRING(STRUCT(e.`select` AS `select`, e.`na\`me` AS `na\`me`, e.`설명` AS `설명`, e.`날짜` AS `날짜`, e.`_op` AS `_op`, e.`_sequence_num` AS `_sequence_num`, e.`_sequence_num_2` AS `_sequence_num_2`, ARRAY(SELECT n FROM UNNEST(CAST([IF(NOT e.`_set_2`, '설명', NULL), IF(NOT e.`_set_3`, '날짜', NULL)] AS ARRAY<STRING>)) AS n WHERE n IS NOT NULL) AS `_unchanged`)) AS `row` FROM `_effective` AS e WHERE e.`_without_base`);
SET (n_inserted, n_updated, n_deleted, n_effective) = (SELECT AS STRUCT IFNULL(c.inserted, 0), IFNULL(c.updated, 0), IFNULL(c.deleted, 0), c.effective FROM (SELECT SUM(CASE WHEN `_op` = 'UPSERT' AND NOT `_exists` AND NOT `_without_base` THEN 1 ELSE 0 END) AS inserted, SUM(CASE WHEN `_op` = 'UPSERT' AND `_exists` AND NOT `_without_base` THEN 1 ELSE 0 END) AS updated, SUM(CASE WHEN `_op` = 'DELETE' AND `_exists` THEN 1 ELSE 0 END) AS deleted, SUM(`_folded`) AS effective FROM `_effective`) AS c);
DELETE FROM `_effective` WHERE `_without_base`;
MERGE INTO `my-project`.`data\`set`.`order\`s` AS t
USING `_effective` AS e
ON t.`select` = e.`select` AND t.`na\`me` = e.`na\`me`
WHEN MATCHED AND e.`_op` = 'DELETE' THEN UPDATE SET `_sequence_num` = e.`_sequence_num`, `_sequence_num_2` = e.`_sequence_num_2`, `_is_deleted` = TRUE
WHEN MATCHED THEN UPDATE SET t.`설명` = CASE WHEN e.`_set_2` THEN e.`설명` ELSE t.`설명` END, t.`날짜` = CASE WHEN e.`_set_3` THEN e.`날짜` ELSE t.`날짜` END, `_sequence_num` = e.`_sequence_num`, `_sequence_num_2` = e.`_sequence_num_2`, `_is_deleted` = FALSE
WHEN NOT MATCHED AND e.`_op` = 'DELETE' THEN INSERT (`select`, `na\`me`, `_sequence_num`, `_sequence_num_2`, `_is_deleted`)
  VALUES (e.`select`, e.`na\`me`, e.`_sequence_num`, e.`_sequence_num_2`, TRUE)
WHEN NOT MATCHED THEN INSERT (`select`, `na\`me`, `설명`, `날짜`, `_sequence_num`, `_sequence_num_2`, `_is_deleted`)
  VALUES (e.`select`, e.`na\`me`, e.`설명`, e.`날짜`, e.`_sequence_num`, e.`_sequence_num_2`, FALSE);
INSERT INTO `my-project`.`data\`set`.`_replicator_batches` (table_name, batch_id, applied_at, rows_staged, inserted, updated, deleted)
  VALUES (@table_name, @batch_id, CURRENT_TIMESTAMP(), @rows_staged, n_inserted, n_updated, n_deleted);
END IF;
COMMIT TRANSACTION;
SELECT already_applied, n_inserted AS inserted, n_updated AS updated, n_deleted AS deleted, n_effective AS effective, TO_JSON_STRING(without_base) AS without_base;

-- partition bounds of a batch
SELECT CAST(MIN(`select`) AS STRING) AS low, CAST(MAX(`select`) AS STRING) AS high, COUNTIF(`select` IS NULL) AS missing FROM `my-project`.`data\`set`.`_staging_order\`s_00ff`;

-- merge one batch, reading only its partitions
DECLARE already_applied BOOL DEFAULT FALSE;
DECLARE without_base ARRAY<STRING> DEFAULT [];
DECLARE n_inserted, n_updated, n_deleted, n_effective INT64 DEFAULT 0;
BEGIN TRANSACTION;
SET already_applied = (SELECT COUNT(*) FROM `my-project`.`data\`set`.`_replicator_batches` WHERE table_name = @table_name AND batch_id = @batch_id) > 0;
IF NOT already_applied THEN
CREATE TEMP TABLE `_effective` AS
SELECT s.`select` AS `select`, s.`na\`me` AS `na\`me`, s.`설명` AS `설명`, s.`날짜` AS `날짜`, s.`_op` AS `_op`, COALESCE(s.`_sequence_num`, 0) AS `_sequence_num`, COALESCE(s.`_sequence_num_2`, 0) AS `_sequence_num_2`, (t.`select` IS NOT NULL AND NOT t.`_is_deleted`) AS `_exists`
FROM `my-project`.`data\`set`.`_staging_order\`s_00ff` AS s
LEFT JOIN (SELECT * FROM `my-project`.`data\`set`.`order\`s` AS b WHERE TRUE AND (b.`select` BETWEEN 17 AND 40213 OR b.`select` IS NULL)) AS t ON t.`select` = s.`select` AND t.`na\`me` = s.`na\`me`
WHERE s.`_batch_id` = @batch_id
  AND (t.`select` IS NULL OR (COALESCE(s.`_sequence_num`, 0) > t.`_sequence_num` OR (COALESCE(s.`_sequence_num`, 0) = t.`_sequence_num` AND COALESCE(s.`_sequence_num_2`, 0) > t.`_sequence_num_2`)));
SET (n_inserted, n_updated, n_deleted, n_effective) = (SELECT AS STRUCT IFNULL(c.inserted, 0), IFNULL(c.updated, 0), IFNULL(c.deleted, 0), c.effective FROM (SELECT SUM(CASE WHEN `_op` = 'UPSERT' AND NOT `_exists` THEN 1 ELSE 0 END) AS inserted, SUM(CASE WHEN `_op` = 'UPSERT' AND `_exists` THEN 1 ELSE 0 END) AS updated, SUM(CASE WHEN `_op` = 'DELETE' AND `_exists` THEN 1 ELSE 0 END) AS deleted, COUNT(*) AS effective FROM `_effective`) AS c);
MERGE INTO `my-project`.`data\`set`.`order\`s` AS t
USING `_effective` AS e
ON t.`select` = e.`select` AND t.`na\`me` = e.`na\`me` AND (t.`select` BETWEEN 17 AND 40213 OR t.`select` IS NULL)
WHEN MATCHED AND e.`_op` = 'DELETE' THEN UPDATE SET `_sequence_num` = e.`_sequence_num`, `_sequence_num_2` = e.`_sequence_num_2`, `_is_deleted` = TRUE
WHEN MATCHED THEN UPDATE SET t.`설명` = e.`설명`, t.`날짜` = e.`날짜`, `_sequence_num` = e.`_sequence_num`, `_sequence_num_2` = e.`_sequence_num_2`, `_is_deleted` = FALSE
WHEN NOT MATCHED AND e.`_op` = 'DELETE' THEN INSERT (`select`, `na\`me`, `_sequence_num`, `_sequence_num_2`, `_is_deleted`)
  VALUES (e.`select`, e.`na\`me`, e.`_sequence_num`, e.`_sequence_num_2`, TRUE)
WHEN NOT MATCHED THEN INSERT (`select`, `na\`me`, `설명`, `날짜`, `_sequence_num`, `_sequence_num_2`, `_is_deleted`)
  VALUES (e.`select`, e.`na\`me`, e.`설명`, e.`날짜`, e.`_sequence_num`, e.`_sequence_num_2`, FALSE);
INSERT INTO `my-project`.`data\`set`.`_replicator_batches` (table_name, batch_id, applied_at, rows_staged, inserted, updated, deleted)
  VALUES (@table_name, @batch_id, CURRENT_TIMESTAMP(), @rows_staged, n_inserted, n_updated, n_deleted);
END IF;
COMMIT TRANSACTION;
SELECT already_applied, n_inserted AS inserted, n_updated AS updated, n_deleted AS deleted, n_effective AS effective, TO_JSON_STRING(without_base) AS without_base;

-- apply a reload, keeping the keys of rejected lines
CREATE TABLE IF NOT EXISTS `my-project`.`data\`set`.`_staging_order\`s_kept_00ff` (`select` INT64, `na\`me` STRING);
DECLARE n_inserted, n_updated, n_deleted, n_effective, live_rows, older_rows, kept_rows INT64 DEFAULT 0;
DECLARE refused BOOL DEFAULT FALSE;
DECLARE without_base ARRAY<STRING> DEFAULT [];
BEGIN
BEGIN TRANSACTION;
DELETE FROM `my-project`.`data\`set`.`_staging_order\`s_reload_00ff` WHERE `_batch_id` IN (SELECT batch_id FROM `my-project`.`data\`set`.`_replicator_batches` WHERE table_name = @table_name);
CREATE TEMP TABLE `_effective` AS
SELECT s.`select` AS `select`, s.`na\`me` AS `na\`me`, s.`설명` AS `설명`, s.`날짜` AS `날짜`, s.`_op` AS `_op`, COALESCE(s.`_sequence_num`, 0) AS `_sequence_num`, COALESCE(s.`_sequence_num_2`, 0) AS `_sequence_num_2`, (t.`select` IS NOT NULL AND NOT t.`_is_deleted`) AS `_exists`
FROM `my-project`.`data\`set`.`_staging_order\`s_reload_00ff` AS s
LEFT JOIN `my-project`.`data\`set`.`order\`s` AS t ON t.`select` = s.`select` AND t.`na\`me` = s.`na\`me`
WHERE TRUE
  AND (t.`select` IS NULL OR (COALESCE(s.`_sequence_num`, 0) > t.`_sequence_num` OR (COALESCE(s.`_sequence_num`, 0) = t.`_sequence_num` AND COALESCE(s.`_sequence_num_2`, 0) > t.`_sequence_num_2`)));
SET (n_inserted, n_updated, n_deleted, n_effective) = (SELECT AS STRUCT IFNULL(c.inserted, 0), IFNULL(c.updated, 0), IFNULL(c.deleted, 0), c.effective FROM (SELECT SUM(CASE WHEN `_op` = 'UPSERT' AND NOT `_exists` THEN 1 ELSE 0 END) AS inserted, SUM(CASE WHEN `_op` = 'UPSERT' AND `_exists` THEN 1 ELSE 0 END) AS updated, SUM(CASE WHEN `_op` = 'DELETE' AND `_exists` THEN 1 ELSE 0 END) AS deleted, COUNT(*) AS effective FROM `_effective`) AS c);
MERGE INTO `my-project`.`data\`set`.`order\`s` AS t
USING `_effective` AS e
ON t.`select` = e.`select` AND t.`na\`me` = e.`na\`me`
WHEN MATCHED AND e.`_op` = 'DELETE' THEN UPDATE SET `_sequence_num` = e.`_sequence_num`, `_sequence_num_2` = e.`_sequence_num_2`, `_is_deleted` = TRUE
WHEN MATCHED THEN UPDATE SET t.`설명` = e.`설명`, t.`날짜` = e.`날짜`, `_sequence_num` = e.`_sequence_num`, `_sequence_num_2` = e.`_sequence_num_2`, `_is_deleted` = FALSE
WHEN NOT MATCHED AND e.`_op` = 'DELETE' THEN INSERT (`select`, `na\`me`, `_sequence_num`, `_sequence_num_2`, `_is_deleted`)
  VALUES (e.`select`, e.`na\`me`, e.`_sequence_num`, e.`_sequence_num_2`, TRUE)
WHEN NOT MATCHED THEN INSERT (`select`, `na\`me`, `설명`, `날짜`, `_sequence_num`, `_sequence_num_2`, `_is_deleted`)
  VALUES (e.`select`, e.`na\`me`, e.`설명`, e.`날짜`, e.`_sequence_num`, e.`_sequence_num_2`, FALSE);
INSERT INTO `my-project`.`data\`set`.`_replicator_batches` (table_name, batch_id, applied_at, rows_staged, inserted, updated, deleted) SELECT @table_name, `_batch_id`, CURRENT_TIMESTAMP, COUNT(*), NULL, NULL, NULL FROM `my-project`.`data\`set`.`_staging_order\`s_reload_00ff` GROUP BY `_batch_id`;
SET live_rows = (SELECT COUNT(*) FROM `my-project`.`data\`set`.`order\`s` AS t WHERE TRUE AND NOT t.`_is_deleted`);
SET older_rows = (SELECT COUNT(*) FROM `my-project`.`data\`set`.`order\`s` AS t WHERE t.`_sequence_num` < @sequence AND NOT t.`_is_deleted` AND NOT EXISTS (SELECT 1 FROM `my-project`.`data\`set`.`_staging_order\`s_kept_00ff` AS k WHERE t.`select` = k.`select` AND t.`na\`me` = k.`na\`me`));
SET kept_rows = (SELECT COUNT(*) FROM `my-project`.`data\`set`.`order\`s` AS t WHERE t.`_sequence_num` < @sequence AND NOT t.`_is_deleted` AND EXISTS (SELECT 1 FROM `my-project`.`data\`set`.`_staging_order\`s_kept_00ff` AS k WHERE t.`select` = k.`select` AND t.`na\`me` = k.`na\`me`));
IF older_rows > 0 AND older_rows * 100 > @max_delete_percent * live_rows THEN
  SET refused = TRUE;
  RAISE USING MESSAGE = 'the reload would remove more rows than --maxReloadDeletePercent allows';
END IF;
IF older_rows > 0 THEN
UPDATE `my-project`.`data\`set`.`order\`s` AS t SET `_is_deleted` = TRUE, `_sequence_num` = @sequence, `_sequence_num_2` = 0 WHERE t.`_sequence_num` < @sequence AND NOT t.`_is_deleted` AND NOT EXISTS (SELECT 1 FROM `my-project`.`data\`set`.`_staging_order\`s_kept_00ff` AS k WHERE t.`select` = k.`select` AND t.`na\`me` = k.`na\`me`);
END IF;
DELETE FROM `my-project`.`data\`set`.`_replicator_reloads` WHERE table_name = @table_name;
COMMIT TRANSACTION;
EXCEPTION WHEN ERROR THEN
  ROLLBACK TRANSACTION;
  IF NOT refused THEN
    RAISE USING MESSAGE = @@error.message;
  END IF;
END;
SELECT refused, n_inserted AS inserted, n_updated AS updated, n_deleted AS deleted, n_effective AS effective, live_rows, older_rows, kept_rows, TO_JSON_STRING(without_base) AS without_base;

-- apply a reload that may not remove (a rejected line without a key)
DECLARE n_inserted, n_updated, n_deleted, n_effective, live_rows, older_rows, kept_rows INT64 DEFAULT 0;
DECLARE refused BOOL DEFAULT FALSE;
DECLARE without_base ARRAY<STRING> DEFAULT [];
BEGIN
BEGIN TRANSACTION;
DELETE FROM `my-project`.`data\`set`.`_staging_order\`s_reload_00ff` WHERE `_batch_id` IN (SELECT batch_id FROM `my-project`.`data\`set`.`_replicator_batches` WHERE table_name = @table_name);
CREATE TEMP TABLE `_effective` AS
SELECT s.`select` AS `select`, s.`na\`me` AS `na\`me`, s.`설명` AS `설명`, s.`날짜` AS `날짜`, s.`_op` AS `_op`, COALESCE(s.`_sequence_num`, 0) AS `_sequence_num`, (t.`select` IS NOT NULL AND NOT t.`_is_deleted`) AS `_exists`
FROM `my-project`.`data\`set`.`_staging_order\`s_reload_00ff` AS s
LEFT JOIN `my-project`.`data\`set`.`order\`s` AS t ON t.`select` = s.`select` AND t.`na\`me` = s.`na\`me`
WHERE TRUE
  AND (t.`select` IS NULL OR (COALESCE(s.`_sequence_num`, 0) > t.`_sequence_num`));
SET (n_inserted, n_updated, n_deleted, n_effective) = (SELECT AS STRUCT IFNULL(c.inserted, 0), IFNULL(c.updated, 0), IFNULL(c.deleted, 0), c.effective FROM (SELECT SUM(CASE WHEN `_op` = 'UPSERT' AND NOT `_exists` THEN 1 ELSE 0 END) AS inserted, SUM(CASE WHEN `_op` = 'UPSERT' AND `_exists` THEN 1 ELSE 0 END) AS updated, SUM(CASE WHEN `_op` = 'DELETE' AND `_exists` THEN 1 ELSE 0 END) AS deleted, COUNT(*) AS effective FROM `_effective`) AS c);
MERGE INTO `my-project`.`data\`set`.`order\`s` AS t
USING `_effective` AS e
ON t.`select` = e.`select` AND t.`na\`me` = e.`na\`me`
WHEN MATCHED AND e.`_op` = 'DELETE' THEN UPDATE SET `_sequence_num` = e.`_sequence_num`, `_is_deleted` = TRUE
WHEN MATCHED THEN UPDATE SET t.`설명` = e.`설명`, t.`날짜` = e.`날짜`, `_sequence_num` = e.`_sequence_num`, `_is_deleted` = FALSE
WHEN NOT MATCHED AND e.`_op` = 'DELETE' THEN INSERT (`select`, `na\`me`, `_sequence_num`, `_is_deleted`)
  VALUES (e.`select`, e.`na\`me`, e.`_sequence_num`, TRUE)
WHEN NOT MATCHED THEN INSERT (`select`, `na\`me`, `설명`, `날짜`, `_sequence_num`, `_is_deleted`)
  VALUES (e.`select`, e.`na\`me`, e.`설명`, e.`날짜`, e.`_sequence_num`, FALSE);
INSERT INTO `my-project`.`data\`set`.`_replicator_batches` (table_name, batch_id, applied_at, rows_staged, inserted, updated, deleted) SELECT @table_name, `_batch_id`, CURRENT_TIMESTAMP, COUNT(*), NULL, NULL, NULL FROM `my-project`.`data\`set`.`_staging_order\`s_reload_00ff` GROUP BY `_batch_id`;
COMMIT TRANSACTION;
EXCEPTION WHEN ERROR THEN
  ROLLBACK TRANSACTION;
  IF NOT refused THEN
    RAISE USING MESSAGE = @@error.message;
  END IF;
END;
SELECT refused, n_inserted AS inserted, n_updated AS updated, n_deleted AS deleted, n_effective AS effective, live_rows, older_rows, kept_rows, TO_JSON_STRING(without_base) AS without_base;

-- start a reload
BEGIN TRANSACTION;
DELETE FROM `my-project`.`data\`set`.`_replicator_reloads` WHERE table_name = @table_name;
INSERT INTO `my-project`.`data\`set`.`_replicator_reloads` (table_name, fingerprint, sequence_num, started_at) VALUES (@table_name, @fingerprint, @sequence, CURRENT_TIMESTAMP);
COMMIT TRANSACTION;

-- forget the history of a new table
BEGIN TRANSACTION;
DELETE FROM `my-project`.`data\`set`.`_replicator_batches` WHERE table_name = @table_name;
DELETE FROM `my-project`.`data\`set`.`_replicator_reloads` WHERE table_name = @table_name;
DELETE FROM `my-project`.`data\`set`.`_replicator_tables` WHERE table_name = @table_name;
INSERT INTO `my-project`.`data\`set`.`_replicator_tables` (table_name, key_columns, delete_mode, recorded_at) VALUES (@table_name, @key_columns, @delete_mode, CURRENT_TIMESTAMP);
COMMIT TRANSACTION;

-- read the rows back
SELECT CAST(`select` AS STRING) AS `select`, `na\`me` AS `na\`me`, TO_BASE64(`설명`) AS `설명`, CAST(`날짜` AS STRING) AS `날짜` FROM `my-project`.`data\`set`.`order\`s` WHERE NOT `_is_deleted`;
