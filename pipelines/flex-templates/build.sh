#!/usr/bin/env bash
# Builds one pipeline's Flex Template: the bundled jar, the launcher image (with Cloud Build, or
# the local docker with --local-docker), and the template spec file on Cloud Storage.
#
#   pipelines/flex-templates/build.sh PIPELINE IMAGE TEMPLATE_SPEC [--local-docker]
#   pipelines/flex-templates/build.sh replicate \
#     europe-west1-docker.pkg.dev/my-project/replicator/replicate:latest \
#     gs://my-bucket/templates/replicate.json
set -euo pipefail

if [[ $# -lt 3 ]]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
pipeline=$1 image=$2 spec=$3 docker=${4:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
metadata=$root/pipelines/flex-templates/$pipeline/metadata.json
if [[ ! -f $metadata ]]; then
  echo "build.sh: no pipeline '$pipeline' (no $metadata)" >&2
  exit 2
fi
if [[ $spec != gs://* ]]; then
  echo "build.sh: TEMPLATE_SPEC must be a gs:// path, got '$spec'" >&2
  exit 2
fi

cd "$root"
echo "build.sh: building the bundled jar" >&2
mvn -B -q -DskipTests package

# Only the jar and the Dockerfile go into the image's build context.
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/pipelines/target" "$context/pipelines/flex-templates"
cp pipelines/target/replicator-bundled.jar "$context/pipelines/target/"
cp pipelines/flex-templates/Dockerfile "$context/pipelines/flex-templates/"

if [[ $docker == --local-docker ]]; then
  docker build -f "$context/pipelines/flex-templates/Dockerfile" --build-arg "PIPELINE=$pipeline" -t "$image" "$context"
  docker push "$image"
else
  cat > "$context/cloudbuild.yaml" <<YAML
steps:
- name: gcr.io/cloud-builders/docker
  args: [build, -f, pipelines/flex-templates/Dockerfile, --build-arg, PIPELINE=$pipeline, -t, '$image', .]
images: ['$image']
YAML
  gcloud builds submit --config "$context/cloudbuild.yaml" "$context"
fi

gcloud dataflow flex-template build "$spec" --image "$image" --sdk-language JAVA --metadata-file "$metadata"
echo "build.sh: template spec at $spec; run it with 'gcloud dataflow flex-template run'" >&2
