/* Small file-system helpers shared by the executor's modules. */
#ifndef EX_FS_H
#define EX_FS_H

#include <stddef.h>

/* Remove path and everything below it, never following a symlink (nftw FTW_PHYS, depth first).
 * Best effort: entries that cannot be removed are left. */
void ex_rm_tree(const char *path);

/* Write all of data to fd (EINTR retried). Returns 0 or -errno (-EIO when write wrote nothing). */
int ex_write_all(int fd, const void *data, size_t len);

#endif
