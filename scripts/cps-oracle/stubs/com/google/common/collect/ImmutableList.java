package com.google.common.collect;
import java.util.AbstractList;
import java.util.Collection;
import java.util.List;
/** Oracle stub: ImmutableList.copyOf as an unmodifiable copy (groovy-cps only copies parameter lists). */
public final class ImmutableList<E> extends AbstractList<E> implements java.io.Serializable {
    private final List<E> items;
    private ImmutableList(List<E> items) { this.items = items; }
    public static <E> ImmutableList<E> copyOf(Collection<? extends E> elements) { return new ImmutableList<E>(List.copyOf(elements)); }
    @Override public E get(int index) { return items.get(index); }
    @Override public int size() { return items.size(); }
}
