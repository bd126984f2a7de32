package edu.umd.cs.findbugs.annotations;
/** Oracle stub: SpotBugs annotation (not reachable here). */
public @interface CheckReturnValue {}
