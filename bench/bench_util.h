/*
** bench_util.h — what the native benchmarks share (bench_native.c, bench_plain.c): the
** seeded generator of the workloads' rows, a monotonic clock, and medians. Header-only
** (static inline functions): each benchmark is one C file linked alone.
*/
#ifndef SQLW_BENCH_UTIL_H
#define SQLW_BENCH_UTIL_H
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* mulberry32: the seeded generator the JS side uses too (bench/workload.js). */
static inline uint32_t benchRand(uint32_t *pState){
  uint32_t t = (*pState += 0x6D2B79F5u);
  t = (t ^ (t>>15)) * (t | 1u);
  t ^= t + (t ^ (t>>7)) * (t | 61u);
  return t ^ (t>>14);
}

/* Monotonic time in ms; in wasm, the host's clock (its runner passes a monotonic one). */
#ifdef __wasm__
# include "host.h"
static inline double benchNowMs(void){
  return host_time();
}
#else
static inline double benchNowMs(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec*1e3 + ts.tv_nsec/1e6;
}
#endif

/* Orders doubles ascending (qsort). */
static inline int cmpDouble(const void *a, const void *b){
  double x = *(const double*)a, y = *(const double*)b;
  return x<y ? -1 : x>y;
}

/* The median of a[0..n-1], n>0; sorts a. */
static inline double benchMedian(double *a, int n){
  qsort(a, (size_t)n, sizeof(double), cmpDouble);
  return a[n/2];
}
#endif
