import { Component, type ComponentChildren, type FunctionComponent, h } from 'preact';

/**
 * Skips re-rendering a component whose props are shallowly equal to the last ones (preact/compat
 * has `memo`; core does not, and compat is not worth its weight for this). A long session appends
 * pages of items: without this every page re-renders every item already on screen.
 */
export function memo<P extends object>(render: FunctionComponent<P>): FunctionComponent<P> {
  class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      const before = this.props as Record<string, unknown>;
      const after = next as Record<string, unknown>;
      for (const key in after) if (key !== 'children' && before[key] !== after[key]) return true;
      for (const key in before) if (!(key in after)) return true;
      return before.children !== after.children;
    }
    override render(props: P): ComponentChildren {
      return h(render, props);
    }
  }
  return Memo as unknown as FunctionComponent<P>;
}
