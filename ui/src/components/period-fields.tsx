import { fromLocalInput, toLocalInput } from '../format.ts';

/**
 * The From and To fields of a period, in local time; they hand back ISO times (undefined when
 * cleared). `id` prefixes the inputs' ids so each form keeps its own labels.
 */
export function PeriodFields({
  id,
  from,
  to,
  onFrom,
  onTo,
  required = false,
}: {
  id: string;
  from: string | undefined;
  to: string | undefined;
  onFrom: (iso: string | undefined) => void;
  onTo: (iso: string | undefined) => void;
  required?: boolean;
}) {
  return (
    <>
      <div class="field">
        <label for={`${id}-from`}>From</label>
        <input
          id={`${id}-from`}
          type="datetime-local"
          required={required}
          value={from ? toLocalInput(from) : ''}
          onChange={(e) => onFrom(fromLocalInput(e.currentTarget.value))}
        />
      </div>
      <div class="field">
        <label for={`${id}-to`}>To</label>
        <input
          id={`${id}-to`}
          type="datetime-local"
          required={required}
          value={to ? toLocalInput(to) : ''}
          onChange={(e) => onTo(fromLocalInput(e.currentTarget.value))}
        />
      </div>
    </>
  );
}
