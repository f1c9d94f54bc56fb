/*
** hostmath.c — the wasm build's math library: the libm functions SQLite calls, computed
** by the host.
**
** SQLite's math functions (SQLITE_ENABLE_MATH_FUNCTIONS: sin(), pow(), ln()…) and
** FTS5's bm25() are the only callers of libm in the core. wasi-libc's libm brings musl's
** implementations with their tables (pow, log, exp and the trigonometric argument
** reduction): about 33 KB of the module before optimisation, 20 KB of its gzip size
** (measured: docs/decisions.md, 2026-12-03). The host already has the same functions
** (JavaScript's Math, which every engine computes to within an ulp or two, as musl
** does), so here each is one call of the import host_math; the linker then takes none
** of libm's objects. ceil, floor, trunc and sqrt stay wasm instructions.
**
** Results may differ from musl's in the last bit, as they differ between C libraries;
** SQLite documents its math functions as those of the platform's library. Native builds
** do not compile this file: they use their C library's libm.
*/
#include "host.h"
#include "proto.h"

/* The functions of one argument: each is host_math(op, x, 0). */
#define HOSTMATH_1(NAME, OP) double NAME(double x){ return host_math(OP, x, 0); }
/* The functions of two: host_math(op, x, y). */
#define HOSTMATH_2(NAME, OP) double NAME(double x, double y){ return host_math(OP, x, y); }

/* Each function's own prototype, as <math.h> declares it (-Wmissing-prototypes). */
double acos(double);  double asin(double);  double atan(double);
double atan2(double, double);
double acosh(double); double asinh(double); double atanh(double);
double cos(double);   double sin(double);   double tan(double);
double cosh(double);  double sinh(double);  double tanh(double);
double exp(double);   double log(double);   double log10(double); double log2(double);
double pow(double, double); double fmod(double, double);

HOSTMATH_1(acos,  SQLW_MATH_ACOS)
HOSTMATH_1(asin,  SQLW_MATH_ASIN)
HOSTMATH_1(atan,  SQLW_MATH_ATAN)
HOSTMATH_2(atan2, SQLW_MATH_ATAN2)
HOSTMATH_1(acosh, SQLW_MATH_ACOSH)
HOSTMATH_1(asinh, SQLW_MATH_ASINH)
HOSTMATH_1(atanh, SQLW_MATH_ATANH)
HOSTMATH_1(cos,   SQLW_MATH_COS)
HOSTMATH_1(sin,   SQLW_MATH_SIN)
HOSTMATH_1(tan,   SQLW_MATH_TAN)
HOSTMATH_1(cosh,  SQLW_MATH_COSH)
HOSTMATH_1(sinh,  SQLW_MATH_SINH)
HOSTMATH_1(tanh,  SQLW_MATH_TANH)
HOSTMATH_1(exp,   SQLW_MATH_EXP)
HOSTMATH_1(log,   SQLW_MATH_LOG)
HOSTMATH_1(log10, SQLW_MATH_LOG10)
HOSTMATH_1(log2,  SQLW_MATH_LOG2)
HOSTMATH_2(pow,   SQLW_MATH_POW)
HOSTMATH_2(fmod,  SQLW_MATH_FMOD)
