package com.google.common.collect;
import java.util.HashMap;
/** Oracle stub: the one Guava Maps method groovy-cps calls. */
public final class Maps {
    private Maps() {}
    public static <K, V> HashMap<K, V> newHashMapWithExpectedSize(int expectedSize) {
        return new HashMap<>(Math.max(4, (int) (expectedSize / 0.75f) + 1));
    }
}
