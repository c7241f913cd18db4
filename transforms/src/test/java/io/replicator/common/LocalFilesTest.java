package io.replicator.common;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import org.junit.Test;

public class LocalFilesTest {
  @Test
  public void tellsTheLocalDiskFromOtherFileSystems() {
    assertEquals(Path.of("/data/staging/t"), LocalFiles.pathOf("/data/staging/t"));
    assertEquals(Path.of("/data/staging/t"), LocalFiles.pathOf("file:///data/staging/t"));
    assertEquals(Path.of("staging/t"), LocalFiles.pathOf("staging/t"));
    assertTrue(LocalFiles.isLocal("file:///x"));
    for (String remote : new String[] {"gs://bucket/staging", "s3://bucket/x", "hdfs://nn/x"}) {
      assertFalse(remote, LocalFiles.isLocal(remote));
      assertNull(remote, LocalFiles.pathOf(remote));
    }
  }
}
