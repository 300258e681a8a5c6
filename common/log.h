/* One-line log records on stderr: "2026-11-21T17:31:00.123Z level component: message". */
#ifndef JG_LOG_H
#define JG_LOG_H

enum jg_log_level { JG_LOG_DEBUG, JG_LOG_INFO, JG_LOG_WARN, JG_LOG_ERROR };

/* Set the minimum level written; parse one of "debug", "info", "warn", "error" (returns -EINVAL). */
void jg_log_set_level(enum jg_log_level level);
int jg_log_parse_level(const char *name, enum jg_log_level *out);

void jg_log(enum jg_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define JG_DEBUG(comp, ...) jg_log(JG_LOG_DEBUG, comp, __VA_ARGS__)
#define JG_INFO(comp, ...) jg_log(JG_LOG_INFO, comp, __VA_ARGS__)
#define JG_WARN(comp, ...) jg_log(JG_LOG_WARN, comp, __VA_ARGS__)
#define JG_ERROR(comp, ...) jg_log(JG_LOG_ERROR, comp, __VA_ARGS__)

#endif
