package io.replicator.pipelines;

import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;

/**
 * Options of the {@code replicate} pipeline, batch and streaming, composed of one interface per
 * concern. Each option is also a Flex Template parameter: {@link FlexTemplateMetadata} writes
 * {@code flex-templates/replicate/metadata.json} from them.
 */
public interface ReplicateOptions extends PipelineOptions, StreamingOptions, TableOptions, ChangeInputOptions,
    SnapshotOptions, JdbcSourceOptions, ReplicationSlotOptions, StagingOptions, WarehouseOptions, BigQueryTargetOptions, StreamSourceOptions,
    ThroughputOptions, FlinkClusterOptions {}
