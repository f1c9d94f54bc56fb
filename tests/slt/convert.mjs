// convert.mjs — SQLite's own value conversions, in JavaScript, for the sqllogictest
// runner: what sqlite3_column_int, sqlite3_column_double and sqlite3_column_text return
// for a value of each storage class, and how sqlite3_snprintf renders a double with
// "%.3f" and "%!.17g". The runner gets typed values from our executors (null, bigint for
// INTEGER, number for REAL, string, Uint8Array) and must print them exactly as the
// original C driver prints what SQLite hands it, so these functions follow SQLite 3.54's
// C code step by step (sqlite3Atoi64, sqlite3AtoF, sqlite3RealToI64, sqlite3FpDecode,
// sqlite3Fp2Convert10, sqlite3Fp10Convert2 and the etFLOAT/etGENERIC branch of
// sqlite3_str_vappendf), 64-bit arithmetic done with BigInt.
//
// Why not JavaScript's own number formatting: SQLite's printf keeps at most 16
// significant digits for "%.3f" (-9223372036854775808.0 prints as
// -9223372036854776000.000), rounds half up on an 18-digit decimal approximation
// (0.0625 → 0.063, 1/3 → 0.33333333333333332 with "%!.17g"), and prints −0 as 0.000.
//
// Only the two printf formats the runner needs are implemented (no width, no flags but
// "!"); only UTF-8 text (the only encoding the build has).

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;
const LARGEST_INT64 = (1n << 63n) - 1n;
const SMALLEST_INT64 = -(1n << 63n);
const POWERSOF10_FIRST = -348;
const POWERSOF10_LAST = 347;

// Powers of ten as 64-bit mantissas (SQLite's powerOfTen tables): aBase[p] is 10^p for
// p in 0..26; aScale/aScaleLo the top 64 and next 32 bits of 10^(27·(i−13)), except
// entry 13 (10^-1, a special case).
const A_BASE = [
  0x8000000000000000n, 0xa000000000000000n, 0xc800000000000000n, 0xfa00000000000000n,
  0x9c40000000000000n, 0xc350000000000000n, 0xf424000000000000n, 0x9896800000000000n,
  0xbebc200000000000n, 0xee6b280000000000n, 0x9502f90000000000n, 0xba43b74000000000n,
  0xe8d4a51000000000n, 0x9184e72a00000000n, 0xb5e620f480000000n, 0xe35fa931a0000000n,
  0x8e1bc9bf04000000n, 0xb1a2bc2ec5000000n, 0xde0b6b3a76400000n, 0x8ac7230489e80000n,
  0xad78ebc5ac620000n, 0xd8d726b7177a8000n, 0x878678326eac9000n, 0xa968163f0a57b400n,
  0xd3c21bcecceda100n, 0x84595161401484a0n, 0xa56fa5b99019a5c8n,
];
const A_SCALE = [
  0x8049a4ac0c5811aen, 0xcf42894a5dce35ean, 0xa76c582338ed2621n, 0x873e4f75e2224e68n,
  0xda7f5bf590966848n, 0xb080392cc4349decn, 0x8e938662882af53en, 0xe65829b3046b0afan,
  0xba121a4650e4ddebn, 0x964e858c91ba2655n, 0xf2d56790ab41c2a2n, 0xc428d05aa4751e4cn,
  0x9e74d1b791e07e48n, 0xccccccccccccccccn, 0xcecb8f27f4200f3an, 0xa70c3c40a64e6c51n,
  0x86f0ac99b4e8dafdn, 0xda01ee641a708de9n, 0xb01ae745b101e9e4n, 0x8e41ade9fbebc27dn,
  0xe5d3ef282a242e81n, 0xb9a74a0637ce2ee1n, 0x95f83d0a1fb69cd9n, 0xf24a01a73cf2dccfn,
  0xc3b8358109e84f07n, 0x9e19db92b4e31ba9n,
];
const A_SCALE_LO = [
  0x205b896dn, 0x52064cadn, 0xaf2af2b8n, 0x5a7744a7n, 0xaf39a475n, 0xbd8d794en,
  0x547eb47bn, 0x0cb4a5a3n, 0x92f34d62n, 0x3a6a07f9n, 0xfae27299n, 0xaa97e14cn,
  0x775ea265n, 0xccccccccn, 0x00000000n, 0x999090b6n, 0x69a028bbn, 0xe80e6f48n,
  0x5ec05dd0n, 0x14588f14n, 0x8f1668c9n, 0x6d953e2cn, 0x4abdaf10n, 0xbc633b39n,
  0x0a862f81n, 0x6c07a2c2n,
];

const f64 = new DataView(new ArrayBuffer(8));
const utf8 = new TextEncoder();

/* The bits of double r as a BigInt (u64). */
function bitsOf(r) {
  f64.setFloat64(0, r);
  return f64.getBigUint64(0);
}

/* The double whose bits are the u64 BigInt v. */
function fromBits(v) {
  f64.setBigUint64(0, v & M64);
  return f64.getFloat64(0);
}

/* Leading zero bits of the u64 BigInt m (64 for 0). */
function clz64(m) {
  return m === 0n ? 64 : 64 - m.toString(2).length;
}

/* C's truncating integer division and remainder, for the int arithmetic below. */
const idiv = (a, b) => Math.trunc(a / b);

/* floor(log2(10^p)) and floor(log10(2^p)), SQLite's pwr10to2 and pwr2to10. */
const pwr10to2 = (p) => (p * 108853) >> 15;
const pwr2to10 = (p) => (p * 78913) >> 18;

/* The upper 96 bits of the 160-bit product ((a<<32)+aLo)·b: [upper 64, middle 32]. */
function multiply160(a, aLo, b) {
  const r = a * b + ((aLo * b) >> 32n);
  return [r >> 64n, (r >> 32n) & M32];
}

/*
** The most significant 64 bits of 10^p (p in −348..347) and the next 32, computed as
** SQLite's powerOfTen does (a table entry, refined by one multiplication). Returns
** [hi, lo].
*/
function powerOfTen(p) {
  let g;
  let n;
  if (p < 0) {
    if (p === -1) return [A_SCALE[13], A_SCALE_LO[13]];
    g = idiv(p, 27);
    n = p % 27;
    if (n) {
      g--;
      n += 27;
    }
  } else if (p < 27) {
    return [A_BASE[p], 0n];
  } else {
    g = idiv(p, 27);
    n = p % 27;
  }
  const s = A_SCALE[g + 13];
  if (n === 0) return [s, A_SCALE_LO[g + 13]];
  let [x, lo] = multiply160(s, A_SCALE_LO[g + 13], A_BASE[n]);
  if ((x & (1n << 63n)) === 0n) {
    x = ((x << 1n) | ((lo >> 31n) & 1n)) & M64;
    lo = ((lo << 1n) | 1n) & M32;
  }
  return [x, lo];
}

/*
** m·2^e (m with its top bit set) as [d, p] with m·2^e ≈ d·10^p and d of at least n
** decimal digits (n ≤ 18), as sqlite3Fp2Convert10 approximates it.
*/
function fp2Convert10(m, e, n) {
  const p = n - 1 - pwr2to10(e + 63);
  let h = (m * powerOfTen(p)[0]) >> 64n;
  let d;
  if (n === 18) {
    h >>= BigInt(-(e + pwr10to2(p) + 2));
    d = (h + ((h << 1n) & 2n)) >> 1n;
  } else {
    d = h >> BigInt(-(e + pwr10to2(p) + 1));
  }
  return [d, -p];
}

/* The double nearest d·10^p (d a u64 BigInt > 0), as sqlite3Fp10Convert2 computes it. */
function fp10Convert2(d, p) {
  if (p < POWERSOF10_FIRST) return 0;
  if (p > POWERSOF10_LAST) return Infinity;
  const b = 64 - clz64(d);
  const lp = pwr10to2(p);
  let e = 53 - b - lp;
  if (e > 1074) {
    if (e >= 1130) return 0;
    e = 1074;
  }
  const s = BigInt(-(e - (64 - b) + lp + 3));
  let [pwr10h, pwr10l] = powerOfTen(p);
  if (pwr10l !== 0n) {
    pwr10h = (pwr10h + 1n) & M64;
    pwr10l = ~pwr10l & M32;
  }
  const x = (d << BigInt(64 - b)) & M64;
  const prod = x * pwr10h;
  let hi = prod >> 64n;
  const mid1 = (prod & M64) >> 32n;
  let sticky = 1n;
  if ((hi & ((1n << s) - 1n)) === 0n) {
    const mid2 = ((x * (pwr10l << 32n)) >> 64n >> 32n) & M32;
    sticky = ((mid1 - mid2) & M32) > 1n ? 1n : 0n;
    if (mid1 < mid2) hi = (hi - 1n) & M64;
  }
  let u = (hi >> s) | sticky;
  if (u >= (1n << 55n) - 2n) {
    u = (u >> 1n) | (u & 1n);
    e -= 1;
  }
  let m = (u + 1n + ((u >> 2n) & 1n)) >> 2n;
  if (e <= -972) return Infinity;
  if ((m & (1n << 52n)) !== 0n) m = (m & ~(1n << 52n)) | (BigInt(1075 - e) << 52n);
  return fromBits(m);
}

/*
** The decimal digits of r as sqlite3FpDecode finds them: iRound > 0 keeps at most
** min(iRound, mxRound) significant digits, iRound ≤ 0 keeps −iRound digits after the
** decimal point (at most mxRound in all). Returns { sign: '+'|'-', digits (a string
** without trailing zeros, '0' for zero), iDP (position of the decimal point: the value
** is 0.digits × 10^iDP), special: 0, 1 for ±Infinity, 2 for NaN }. −0 is '+', as in
** SQLite.
*/
function fpDecode(r, iRound, mxRound) {
  let sign = '+';
  if (r < 0) {
    sign = '-';
    r = -r;
  } else if (r === 0) {
    return { sign, digits: '0', iDP: 1, special: 0 };
  }
  let v = bitsOf(r);
  let e = Number((v >> 52n) & 0x7ffn);
  if (e === 0x7ff) return { sign, digits: '', iDP: 0, special: Number.isNaN(r) ? 2 : 1 };
  v &= (1n << 52n) - 1n;
  if (e === 0) {
    const nn = clz64(v);
    v <<= BigInt(nn);
    e = -1074 - nn;
  } else {
    v = (v << 11n) | (1n << 63n);
    e -= 1086;
  }
  const [d, exp] = fp2Convert10(v, e, iRound <= 0 || iRound >= 18 ? 18 : iRound + 1);
  const z = Array.from(d.toString(), (c) => c.charCodeAt(0) - 48);
  let n = z.length;
  let iDP = n + exp;
  if (iRound <= 0) {
    iRound = iDP - iRound;
    if (iRound === 0 && z[0] >= 5) {
      iRound = 1;
      z.unshift(0);
      n++;
      iDP++;
    }
  }
  if (iRound > 0 && (iRound < n || n > mxRound)) {
    if (iRound > mxRound) iRound = mxRound;
    if (iRound === 17) {
      // "%!.17g": fewer digits when they round-trip (49.47, not 49.469999999999999).
      if (z[15] === 9 && z[14] === 9) {
        let jj = 14;
        while (jj > 0 && z[jj - 1] === 9) jj--;
        const v2 = jj === 0 ? 1n : BigInt(z.slice(0, jj).join('')) + 1n;
        if (r === fp10Convert2(v2, exp + n - jj)) iRound = jj + 1;
      } else if (iDP >= n || (z[15] === 0 && z[14] === 0 && z[13] === 0)) {
        let jj = 13;
        while (z[jj - 1] === 0) jj--;
        const v2 = BigInt(z.slice(0, jj).join(''));
        if (r === fp10Convert2(v2, exp + n - jj)) iRound = jj + 1;
      }
    }
    n = iRound;
    if (z[iRound] >= 5) {
      let j = iRound - 1;
      for (;;) {
        z[j]++;
        if (z[j] <= 9) break;
        z[j] = 0;
        if (j === 0) {
          z.unshift(1);
          n++;
          iDP++;
          break;
        }
        j--;
      }
    }
  }
  while (z[n - 1] === 0) n--;
  return { sign, digits: z.slice(0, n).join(''), iDP, special: 0 };
}

/*
** sqlite3_snprintf's rendering of double r for conversion 'f' or 'g' with `precision`
** and, when altform2, the '!' flag (no width, no other flags). Returns the text.
*/
function printfReal(r, conversion, precision, altform2) {
  let iRound;
  if (conversion === 'f') {
    iRound = -precision;
  } else {
    if (precision === 0) precision = 1;
    iRound = precision;
  }
  const s = fpDecode(r, iRound, altform2 ? 20 : 16);
  if (s.special === 2) return 'NaN';
  if (s.special === 1) return s.sign === '-' ? '-Inf' : 'Inf';
  let type = conversion;
  let rtz;
  const exp = s.iDP - 1;
  if (type === 'g') {
    precision--;
    rtz = true;
    if (exp < -4 || exp > precision) {
      type = 'e';
    } else {
      precision -= exp;
      type = 'f';
    }
  } else {
    rtz = altform2;
  }
  let e2 = type === 'e' ? 0 : s.iDP - 1;
  const dp = precision > 0 || altform2;
  let out = s.sign === '-' ? '-' : '';
  let j = 0;
  if (e2 < 0) {
    out += '0';
  } else {
    j = Math.min(e2 + 1, s.digits.length);
    out += s.digits.slice(0, j);
    e2 -= j;
    if (e2 >= 0) {
      out += '0'.repeat(e2 + 1);
      e2 = -1;
    }
  }
  if (dp) out += '.';
  if (e2 < -1 && precision > 0) {
    const nn = Math.min(-1 - e2, precision);
    out += '0'.repeat(nn);
    precision -= nn;
  }
  if (precision > 0) {
    const nn = Math.min(s.digits.length - j, precision);
    if (nn > 0) {
      out += s.digits.slice(j, j + nn);
      precision -= nn;
    }
    if (precision > 0 && !rtz) out += '0'.repeat(precision);
  }
  if (rtz && dp) {
    out = out.replace(/0+$/, '');
    if (out.endsWith('.')) out = altform2 ? `${out}0` : out.slice(0, -1);
  }
  if (type === 'e') {
    const x = s.iDP - 1;
    const ax = Math.abs(x);
    out += `e${x < 0 ? '-' : '+'}${ax >= 100 ? Math.floor(ax / 100) : ''}${Math.floor((ax % 100) / 10)}${ax % 10}`;
  }
  return out;
}

/** sqlite3_snprintf("%.3f", r): the driver's rendering of an R column. */
export function printfFixed3(r) {
  return printfReal(r, 'f', 3, false);
}

/** sqlite3_snprintf("%!.17g", r): SQLite's text of a REAL (sqlite3_column_text). */
export function realToText(r) {
  return printfReal(r, 'g', 17, true);
}

/* SQLite's sqlite3Isspace (space, \t, \n, \v, \f, \r) and sqlite3Isdigit. */
const isSpace = (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isDigit = (c) => c >= 0x30 && c <= 0x39;

/* The UTF-8 bytes of a string, or the bytes themselves (text as SQLite stores it). */
function bytesOf(v) {
  return typeof v === 'string' ? utf8.encode(v) : v;
}

/*
** sqlite3Atoi64 of text or blob bytes: leading spaces, a sign, then the longest run of
** digits, clamped to the int64 range; 0 when there are no digits. Returns a BigInt.
*/
function atoi64(bytes) {
  let i = 0;
  while (i < bytes.length && isSpace(bytes[i])) i++;
  let neg = false;
  if (bytes[i] === 0x2d) {
    neg = true;
    i++;
  } else if (bytes[i] === 0x2b) {
    i++;
  }
  let u = 0n;
  while (i < bytes.length && isDigit(bytes[i])) u = u * 10n + BigInt(bytes[i++] - 0x30);
  if (neg) return -u < SMALLEST_INT64 ? SMALLEST_INT64 : -u;
  return u > LARGEST_INT64 ? LARGEST_INT64 : u;
}

/**
 * sqlite3AtoF of text or blob bytes (up to the first NUL): the value of the longest
 * numeric prefix, 0 when there is none. Returns a number (−0 for "-0").
 */
export function atof(bytes) {
  const at = (k) => (k < bytes.length ? bytes[k] : 0);
  const LIMIT = (M64 - 9n) / 10n;
  let k = 0;
  let neg = false;
  let s = 0n;
  let d = 0;
  let seen = false; // a digit of the mantissa
  while (isSpace(at(k))) k++;
  if (at(k) === 0x2d || at(k) === 0x2b) {
    neg = at(k) === 0x2d;
    k++;
  }
  while (isDigit(at(k))) {
    seen = true;
    s = s * 10n + BigInt(at(k++) - 0x30);
    if (s >= LIMIT) {
      // Beyond 19 digits only the magnitude counts.
      while (isDigit(at(k))) {
        k++;
        d++;
      }
    }
  }
  if (at(k) === 0x2e) {
    k++;
    if (!isDigit(at(k)) && !seen) return 0;
    for (; isDigit(at(k)); k++) {
      seen = true;
      if (s < LIMIT) {
        s = s * 10n + BigInt(at(k) - 0x30);
        d--;
      }
    }
  } else if (!seen) {
    return 0;
  }
  if (at(k) === 0x65 || at(k) === 0x45) {
    k++;
    let esign = 1;
    if (at(k) === 0x2d) {
      esign = -1;
      k++;
    } else if (at(k) === 0x2b) {
      k++;
    }
    if (isDigit(at(k))) {
      let x = at(k++) - 0x30;
      while (isDigit(at(k))) {
        x = x < 10000 ? x * 10 + (at(k) - 0x30) : 10000;
        k++;
      }
      d += esign * x;
    }
  }
  const r = s === 0n ? 0 : fp10Convert2(s, d);
  return neg ? -r : r;
}

/* sqlite3RealToI64: a double as int64, truncated toward zero and clamped. A BigInt. */
function realToI64(r) {
  if (r < -9223372036854774784) return SMALLEST_INT64;
  if (r > 9223372036854774784) return LARGEST_INT64;
  return BigInt(Math.trunc(r));
}

/**
 * sqlite3_column_int of a non-NULL value: bigint (INTEGER), number (REAL), string
 * (TEXT) or Uint8Array (BLOB), as the C int it returns (the low 32 bits, signed).
 * Returns a number. Throws TypeError for NaN, which no SQLite value can be.
 */
export function columnInt(v) {
  let i;
  if (typeof v === 'bigint') {
    if (v >= -0x80000000n && v <= 0x7fffffffn) return Number(v);
    i = v;
  } else if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new TypeError('NaN is not a SQLite value');
    i = realToI64(v);
  } else i = atoi64(bytesOf(v));
  return Number(BigInt.asIntN(32, i));
}

/** sqlite3_column_double of a non-NULL value (see columnInt). Returns a number. */
export function columnDouble(v) {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  return atof(bytesOf(v));
}

/**
 * sqlite3_column_text of a non-NULL value (see columnInt), as the bytes a C caller
 * reads: up to the first NUL (the driver treats it as a C string). Returns a Uint8Array.
 */
export function columnText(v) {
  let bytes;
  if (typeof v === 'bigint') bytes = utf8.encode(v.toString());
  else if (typeof v === 'number') bytes = utf8.encode(realToText(v));
  else bytes = bytesOf(v);
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.subarray(0, nul);
}
