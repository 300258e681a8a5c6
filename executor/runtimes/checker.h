/* Output checkers for tests: exact, lines, tokens, float (program output) and JSON value comparison
 * (function tests). Pure functions of their inputs. */
#ifndef EX_CHECKER_H
#define EX_CHECKER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum ex_checker_type { EX_CHECK_EXACT, EX_CHECK_LINES, EX_CHECK_TOKENS, EX_CHECK_FLOAT, EX_CHECK_CUSTOM };

struct ex_checker {
    enum ex_checker_type type;
    double abs_tol, rel_tol; /* float: a number matches when within either tolerance */
};

/* From a job's "checker" (NULL: the default, which is "lines" for programs and exact JSON equality
 * for functions). A custom checker ({type, runtime, code}) is only recognised here (EX_CHECK_CUSTOM):
 * compiling and running it is the program runtime's business (program.c). */
int ex_checker_parse(const json_t *spec, struct ex_checker *out, char *err, size_t errlen);

/* Compare a program's output with the expected output: "OK", "WA", or "PE" when the answer is right
 * but the layout is not (exact or lines checkers whose tokens all match). */
const char *ex_check_output(const struct ex_checker *c, const char *got, size_t got_len,
                            const char *expected, size_t expected_len);

/* Compare a function's JSON return value with the expected one: equal values (object key order
 * ignored); numbers compare by value (1 == 1.0), and within the tolerance with the float checker. */
bool ex_check_value(const struct ex_checker *c, const json_t *got, const json_t *expected);

#endif
