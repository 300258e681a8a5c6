/* Small file-system helpers shared by the executor's modules. */
#ifndef EX_FS_H
#define EX_FS_H

/* Remove path and everything below it, never following a symlink (nftw FTW_PHYS, depth first).
 * Best effort: entries that cannot be removed are left. */
void ex_rm_tree(const char *path);

#endif
