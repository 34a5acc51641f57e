// Small helpers the bench's reports share.

/** The median of a non-empty list of numbers. */
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** 'met' or 'missed', for a value against a target that is a floor ('min') or a ceiling ('max'). */
export const verdict = (value, target, kind) =>
  (kind === 'min' ? value >= target : value <= target) ? 'met' : '**missed**';
