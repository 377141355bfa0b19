// How the dashboard writes numbers: about three significant digits, units
// that fit the size, "n/a" for a value /metrics does not have.

export const NA = 'n/a';
export const NONE = '—'; // not yet: a rate waits for a second poll

export function sig3(x) {
  const a = Math.abs(x);
  if (a >= 100) return String(Math.round(x));
  if (a >= 10) return x.toFixed(1).replace(/\.0$/, '');
  if (a === 0) return '0';
  return x.toFixed(2).replace(/\.?0+$/, '');
}

function bytes(v) {
  if (v === null) return NA;
  const mib = v / (1024 * 1024);
  if (mib >= 1024) return sig3(mib / 1024) + ' GiB';
  if (mib >= 1) return sig3(mib) + ' MiB';
  return sig3(v / 1024) + ' KiB';
}

export const fmt = {
  count: (v) => (v === null ? NA : String(Math.round(v))),
  rate: (v) => {
    if (v === null) return NA;
    if (v === 0) return '0';
    if (v < 10) return v.toFixed(1);
    return String(Math.round(v));
  },
  seconds: (v) => {
    if (v === null) return NA;
    if (v === 0) return '0';
    if (v < 1e-3) return sig3(v * 1e6) + ' µs';
    if (v < 1) return sig3(v * 1e3) + ' ms';
    return sig3(v) + ' s';
  },
  percent: (v) => {
    if (v === null) return NA;
    return (v > 0 && v < 10 && !Number.isInteger(v) ? v.toFixed(1) : String(Math.round(v))) + ' %';
  },
  mib: (v) => (v === null ? NA : sig3(v) + ' MiB'),
  axis: (v) => sig3(v),
  bytes,
  byteRate: (v) => {
    if (v === null) return NA;
    return v < 1024 ? Math.round(v) + ' B/s' : bytes(v) + '/s';
  },
};
