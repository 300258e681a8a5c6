/* Monotonic deadlines and condition variables that wait on them. */
#ifndef JG_CLOCK_H
#define JG_CLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

/* CLOCK_MONOTONIC now + @p ms milliseconds. */
struct timespec jg_deadline_ms(long ms);

/* a < b */
bool jg_before(const struct timespec *a, const struct timespec *b);

/* A condition variable whose timed waits take CLOCK_MONOTONIC deadlines; returns 0 or an errno. */
int jg_cond_init_monotonic(pthread_cond_t *cond);

#endif
