#!/usr/bin/env bash
# Builds the CPS method-size oracle (not part of pipewright's build or CI).
# groovy-cps (jenkinsci/workflow-cps-plugin lib/src/main/java) and groovy-sandbox are compiled from
# source against Debian's Groovy 2.4.21 (no Maven here); Guava/SpotBugs/Jenkins classes the
# transformer names are replaced by the minimal stubs in stubs/.
#
# Usage: scripts/cps-oracle/build.sh
#   CPS_REPO / SANDBOX_REPO: git directories of the two repositories (defaults: the fetched mirrors)
#   CPS_COMMIT / SANDBOX_COMMIT: the commits to build (defaults: the ones the calibration used)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
CPS_REPO="${CPS_REPO:-/work/.mirror/jenkinsci+workflow-cps-plugin/repo}"
SANDBOX_REPO="${SANDBOX_REPO:-/work/.mirror/jenkinsci+groovy-sandbox/repo}"
# workflow-cps-plugin master of 2026-07-21; groovy-sandbox master of 2024-08-01 (1.34.x, what groovy-cps pins)
CPS_COMMIT="${CPS_COMMIT:-e007b7ff217858d076756b06a9cc352a881fda4c}"
SANDBOX_COMMIT="${SANDBOX_COMMIT:-ac8d69a078f5eac892f3fe767df4ea1cf481d966}"
GROOVY_CP=/usr/share/java/groovy.jar:/usr/share/groovy/lib/antlr.jar:/usr/share/groovy/lib/asm.jar:/usr/share/groovy/lib/groovy-json.jar

out="$here/build"
rm -rf "$out"
mkdir -p "$out/src" "$out/classes"
git -C "$CPS_REPO" archive "$CPS_COMMIT" lib/src/main/java | tar -x -C "$out/src"
git -C "$SANDBOX_REPO" archive "$SANDBOX_COMMIT" src/main/java | tar -x -C "$out/src"
find "$out/src" "$here/stubs" -name '*.java' > "$out/sources.txt"
"$JAVA_HOME/bin/javac" -nowarn -encoding UTF-8 -d "$out/classes" -cp "$GROOVY_CP" @"$out/sources.txt" -Xlint:none 2>&1 | { grep -v "^Note:" || true; }; [ "${PIPESTATUS[0]}" -eq 0 ]
"$JAVA_HOME/bin/java" -cp "$GROOVY_CP:$out/classes" org.codehaus.groovy.tools.FileSystemCompiler \
  -d "$out/classes" "$here/src/DeclarativeApproximation.groovy" "$here/src/Measure.groovy" >/dev/null
printf '{"workflowCpsPlugin":"%s","groovySandbox":"%s","groovy":"2.4.21"}\n' "$CPS_COMMIT" "$SANDBOX_COMMIT" > "$out/commits.json"
echo "built $out/classes (workflow-cps-plugin $CPS_COMMIT, groovy-sandbox $SANDBOX_COMMIT)"
