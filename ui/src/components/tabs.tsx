import { useRef } from 'preact/hooks';

/** WAI-ARIA tabs: arrow keys move between tabs, the panel follows `selected`. */
export function Tabs<K extends string>({
  tabs,
  selected,
  onSelect,
  label,
}: {
  tabs: readonly { key: K; label: string }[];
  selected: K;
  onSelect: (key: K) => void;
  label: string;
}) {
  const list = useRef<HTMLDivElement>(null);
  const move = (delta: number) => {
    const index = tabs.findIndex((t) => t.key === selected);
    const next = tabs[(index + delta + tabs.length) % tabs.length];
    if (!next) return;
    onSelect(next.key);
    list.current?.querySelector<HTMLButtonElement>(`#tab-${next.key}`)?.focus();
  };
  return (
    <div
      class="tabs"
      role="tablist"
      aria-label={label}
      ref={list}
      onKeyDown={(event) => {
        if (event.key === 'ArrowRight') move(1);
        else if (event.key === 'ArrowLeft') move(-1);
      }}
    >
      {tabs.map((tab) => (
        <button
          type="button"
          key={tab.key}
          id={`tab-${tab.key}`}
          role="tab"
          class="tab"
          aria-selected={tab.key === selected}
          aria-controls={`panel-${tab.key}`}
          tabIndex={tab.key === selected ? 0 : -1}
          onClick={() => onSelect(tab.key)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}
