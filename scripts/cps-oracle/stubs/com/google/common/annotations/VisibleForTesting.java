package com.google.common.annotations;
/** Oracle stub: marker annotation (Guava is not reachable here). */
public @interface VisibleForTesting {}
