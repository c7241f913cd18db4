CREATE TEMP TABLE `_effective` AS
SELECT s.`select` AS `select`, s.`na\`me` AS `na\`me`, s.`설명` AS `설명`, s.`_op` AS `_op`, COALESCE(s.`_sequence_num`, 0) AS `_sequence_num`, COALESCE(s.`_sequence_num_2`, 0) AS `_sequence_num_2`, (t.`select` IS NOT NULL) AS `_exists`
FROM `my-project`.`data\`set`.`_staging_order\`s` AS s
LEFT JOIN `my-project`.`data\`set`.`order\`s` AS t ON t.`select` = s.`select` AND t.`na\`me` = s.`na\`me`
LEFT JOIN `my-project`.`data\`set`.`_deleted_order\`s` AS d ON d.`select` = s.`select` AND d.`na\`me` = s.`na\`me`
WHERE s.`_batch_id` = ?
  AND (t.`select` IS NULL OR (COALESCE(s.`_sequence_num`, 0) > t.`_sequence_num` OR (COALESCE(s.`_sequence_num`, 0) = t.`_sequence_num` AND COALESCE(s.`_sequence_num_2`, 0) > t.`_sequence_num_2`)))
  AND (d.`select` IS NULL OR (COALESCE(s.`_sequence_num`, 0) > d.`_sequence_num` OR (COALESCE(s.`_sequence_num`, 0) = d.`_sequence_num` AND COALESCE(s.`_sequence_num_2`, 0) > d.`_sequence_num_2`)));

SELECT SUM(CASE WHEN `_op` = 'UPSERT' AND NOT `_exists` THEN 1 ELSE 0 END), SUM(CASE WHEN `_op` = 'UPSERT' AND `_exists` THEN 1 ELSE 0 END), SUM(CASE WHEN `_op` = 'DELETE' AND `_exists` THEN 1 ELSE 0 END), COUNT(*) FROM `_effective`;

MERGE INTO `my-project`.`data\`set`.`order\`s` AS t
USING `_effective` AS e
ON t.`select` = e.`select` AND t.`na\`me` = e.`na\`me`
WHEN MATCHED AND e.`_op` = 'DELETE' THEN DELETE
WHEN MATCHED THEN UPDATE SET `설명` = e.`설명`, `_sequence_num` = e.`_sequence_num`, `_sequence_num_2` = e.`_sequence_num_2`
WHEN NOT MATCHED AND NOT e.`_op` = 'DELETE' THEN INSERT (`select`, `na\`me`, `설명`, `_sequence_num`, `_sequence_num_2`)
  VALUES (e.`select`, e.`na\`me`, e.`설명`, e.`_sequence_num`, e.`_sequence_num_2`);

MERGE INTO `my-project`.`data\`set`.`_deleted_order\`s` AS t
USING `_effective` AS e
ON t.`select` = e.`select` AND t.`na\`me` = e.`na\`me`
WHEN MATCHED AND NOT e.`_op` = 'DELETE' THEN DELETE
WHEN MATCHED THEN UPDATE SET `_sequence_num` = e.`_sequence_num`, `_sequence_num_2` = e.`_sequence_num_2`
WHEN NOT MATCHED AND e.`_op` = 'DELETE' THEN INSERT (`select`, `na\`me`, `_sequence_num`, `_sequence_num_2`)
  VALUES (e.`select`, e.`na\`me`, e.`_sequence_num`, e.`_sequence_num_2`);

CREATE TABLE IF NOT EXISTS `my-project`.`data\`set`.`order\`s` (
  `select` INT64 NOT NULL,
  `na\`me` STRING NOT NULL,
  `설명` BYTES,
  `_sequence_num` INT64 NOT NULL,
  `_sequence_num_2` INT64 NOT NULL
);

CREATE TABLE IF NOT EXISTS `my-project`.`data\`set`.`_staging_order\`s` (
  `select` INT64,
  `na\`me` STRING,
  `설명` BYTES,
  `_op` STRING,
  `_sequence_num` INT64,
  `_sequence_num_2` INT64,
  `_sequence_num_3` INT64,
  `_sequence_num_4` INT64,
  `_batch_id` STRING
);

CREATE TABLE IF NOT EXISTS `my-project`.`data\`set`.`_deleted_order\`s` (
  `select` INT64 NOT NULL,
  `na\`me` STRING NOT NULL,
  `_sequence_num` INT64 NOT NULL,
  `_sequence_num_2` INT64 NOT NULL
);

CREATE TABLE IF NOT EXISTS `my-project`.`data\`set`.`_replicator_batches` (table_name STRING NOT NULL, batch_id STRING NOT NULL, applied_at TIMESTAMP NOT NULL, rows_staged INT64, inserted INT64, updated INT64, deleted INT64);

