#!/usr/bin/env bash
# Prints the bytecode length of every method groovy-cps generates for each Jenkinsfile, as JSON:
# {"FILE": {"declarative": {"largest": N, "method": "...", "overLimit": [...], "methods": {...}}, "plain": {...}}}
# Usage: scripts/cps-oracle/measure.sh [--mode declarative|plain|both] FILE...   (run build.sh first)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
[ -d "$here/build/classes" ] || { echo "run $here/build.sh first" >&2; exit 2; }
GROOVY_CP=/usr/share/java/groovy.jar:/usr/share/groovy/lib/antlr.jar:/usr/share/groovy/lib/asm.jar:/usr/share/groovy/lib/groovy-json.jar
exec "$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss8m -cp "$GROOVY_CP:$here/build/classes" Measure "$@"
