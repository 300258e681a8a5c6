/* The test-data cache (cache.h): files named by SHA-256 in one directory, an in-memory index
 * (chained hash on the key's first 16 hex digits) with a use clock for least-recently-used
 * eviction. Downloads and file I/O happen outside the lock; two slots that miss the same blob
 * both download it and the second rename wins with the same bytes. */
#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "sha256.h"

#define NBUCKETS 4096

struct entry {
    char key[65];
    uint64_t size;
    uint64_t used; /* the use clock when last opened or added */
    int next;      /* bucket chain, or free list; -1 ends */
    bool live;
};

struct ex_cache {
    int dirfd;
    uint64_t max_bytes, bytes, clock;
    struct entry *e;
    int n, cap, free_head;
    int buckets[NBUCKETS];
    long hits, misses, evictions, live;
    unsigned tmp_seq;
    pthread_mutex_t mu;
};

static bool key_valid(const char *k)
{
    if (strlen(k) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((k[i] >= '0' && k[i] <= '9') || (k[i] >= 'a' && k[i] <= 'f')))
            return false;
    return true;
}

static unsigned bucket_of(const char *key)
{
    unsigned v = 0; /* keys are checked: lower-case hex */
    for (int i = 0; i < 8; i++)
        v = v * 16 + (unsigned)(key[i] <= '9' ? key[i] - '0' : key[i] - 'a' + 10);
    return v % NBUCKETS;
}

static int find(struct ex_cache *c, const char *key)
{
    for (int i = c->buckets[bucket_of(key)]; i >= 0; i = c->e[i].next)
        if (strcmp(c->e[i].key, key) == 0)
            return i;
    return -1;
}

static void unlink_entry(struct ex_cache *c, int i)
{
    for (int *p = &c->buckets[bucket_of(c->e[i].key)]; *p >= 0; p = &c->e[*p].next) {
        if (*p == i) {
            *p = c->e[i].next;
            break;
        }
    }
    c->bytes -= c->e[i].size;
    c->e[i].live = false;
    c->e[i].next = c->free_head;
    c->free_head = i;
    c->live--;
}

/* Add (or refresh) @p key; returns 0 or -ENOMEM. Caller holds mu. */
static int add(struct ex_cache *c, const char *key, uint64_t size, uint64_t used)
{
    int i = find(c, key);
    if (i >= 0) {
        c->bytes += size - c->e[i].size;
        c->e[i].size = size;
        c->e[i].used = used;
        return 0;
    }
    if (c->free_head >= 0) {
        i = c->free_head;
        c->free_head = c->e[i].next;
    } else {
        if (c->n == c->cap) {
            int ncap = c->cap ? 2 * c->cap : 256;
            struct entry *ne = realloc(c->e, (size_t)ncap * sizeof *ne);
            if (!ne)
                return -ENOMEM;
            c->e = ne;
            c->cap = ncap;
        }
        i = c->n++;
    }
    struct entry *e = &c->e[i];
    memcpy(e->key, key, 65);
    e->size = size;
    e->used = used;
    e->live = true;
    unsigned b = bucket_of(key);
    e->next = c->buckets[b];
    c->buckets[b] = i;
    c->bytes += size;
    c->live++;
    return 0;
}

/* Evict least recently used entries until the cache fits, sparing @p keep. Caller holds mu. */
static void trim(struct ex_cache *c, const char *keep)
{
    while (c->bytes > c->max_bytes) {
        int victim = -1;
        for (int i = 0; i < c->n; i++)
            if (c->e[i].live && (!keep || strcmp(c->e[i].key, keep) != 0) &&
                (victim < 0 || c->e[i].used < c->e[victim].used))
                victim = i;
        if (victim < 0)
            return;
        unlinkat(c->dirfd, c->e[victim].key, 0); /* an open descriptor stays readable */
        unlink_entry(c, victim);
        c->evictions++;
    }
}

struct scanned {
    char key[65];
    uint64_t size;
    struct timespec mtime;
};

static int by_mtime(const void *a, const void *b)
{
    const struct scanned *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : x->mtime.tv_nsec > y->mtime.tv_nsec;
}

/* Index the files a previous run left, oldest first; drop half-written downloads. */
static int scan(struct ex_cache *c)
{
    int fd = dup(c->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return -errno;
    }
    struct scanned *s = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, ".tmp-", 5) == 0) {
            unlinkat(c->dirfd, de->d_name, 0);
            continue;
        }
        struct stat st;
        if (!key_valid(de->d_name) ||
            fstatat(c->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            struct scanned *ns = realloc(s, cap * sizeof *ns);
            if (!ns)
                break;
            s = ns;
        }
        memcpy(s[n].key, de->d_name, 65);
        s[n].size = (uint64_t)st.st_size;
        s[n].mtime = st.st_mtim;
        n++;
    }
    closedir(d);
    if (n) /* qsort(NULL, 0) is undefined */
        qsort(s, n, sizeof *s, by_mtime);
    for (size_t i = 0; i < n; i++)
        add(c, s[i].key, s[i].size, ++c->clock);
    free(s);
    return 0;
}

int ex_cache_open(struct ex_cache **out, const char *dir, uint64_t max_bytes, char *err,
                  size_t errlen)
{
    *out = NULL;
    struct ex_cache *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->max_bytes = max_bytes;
    c->free_head = -1;
    for (int i = 0; i < NBUCKETS; i++)
        c->buckets[i] = -1;
    if (mkdir(dir, 0700) && errno != EEXIST) {
        snprintf(err, errlen, "cache directory %s: %s", dir, strerror(errno));
        free(c);
        return -errno;
    }
    c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = c->dirfd < 0 ? -errno : scan(c);
    if (rc) {
        snprintf(err, errlen, "cache directory %s: %s", dir, strerror(-rc));
        if (c->dirfd >= 0)
            close(c->dirfd);
        free(c->e);
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->mu, NULL);
    trim(c, NULL);
    *out = c;
    return 0;
}

void ex_cache_close(struct ex_cache *c)
{
    if (!c)
        return;
    close(c->dirfd);
    pthread_mutex_destroy(&c->mu);
    free(c->e);
    free(c);
}

void ex_cache_stats(struct ex_cache *c, struct ex_cache_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = (struct ex_cache_stats){c->hits, c->misses, c->evictions, c->live, c->bytes};
    pthread_mutex_unlock(&c->mu);
}

/* Write @p data to a temporary file and rename it to @p key; index it. Returns 0 or -errno. */
static int store(struct ex_cache *c, const char *key, const void *data, size_t len)
{
    char tmp[64];
    pthread_mutex_lock(&c->mu);
    snprintf(tmp, sizeof tmp, ".tmp-%ld-%u", (long)getpid(), c->tmp_seq++);
    pthread_mutex_unlock(&c->mu);
    int fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = ex_write_all(fd, data, len);
    if (close(fd) && !rc)
        rc = -errno;
    if (!rc && renameat(c->dirfd, tmp, c->dirfd, key))
        rc = -errno;
    if (rc) {
        unlinkat(c->dirfd, tmp, 0);
        return rc;
    }
    pthread_mutex_lock(&c->mu);
    rc = add(c, key, len, ++c->clock);
    trim(c, key);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ex_cache_put(struct ex_cache *c, const char *key, const void *data, size_t len)
{
    return key_valid(key) ? store(c, key, data, len) : -EINVAL;
}

/* An open descriptor for @p key if it is cached (and counts the use), else -ENOENT. */
static int lookup(struct ex_cache *c, const char *key)
{
    pthread_mutex_lock(&c->mu);
    int i = find(c, key);
    if (i >= 0)
        c->e[i].used = ++c->clock;
    pthread_mutex_unlock(&c->mu);
    if (i < 0)
        return -ENOENT;
    int fd = openat(c->dirfd, key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    pthread_mutex_lock(&c->mu);
    if (fd < 0) { /* removed behind our back: forget it */
        i = find(c, key);
        if (i >= 0)
            unlink_entry(c, i);
    } else {
        c->hits++;
    }
    pthread_mutex_unlock(&c->mu);
    return fd >= 0 ? fd : -ENOENT;
}

int ex_cache_open_blob(struct ex_cache *c, struct ex_http *h, const char *hex, char *err,
                       size_t errlen)
{
    if (!key_valid(hex)) {
        snprintf(err, errlen, "'%.80s' is not a SHA-256", hex);
        return -EINVAL;
    }
    int fd = lookup(c, hex);
    if (fd >= 0 || !h) {
        if (fd < 0)
            snprintf(err, errlen, "blob %s is not cached", hex);
        return fd;
    }
    pthread_mutex_lock(&c->mu);
    c->misses++;
    pthread_mutex_unlock(&c->mu);
    char path[96];
    snprintf(path, sizeof path, "/blobs/%s", hex);
    json_t *resp = NULL;
    long st = ex_http_json(h, "GET", path, NULL, 300, &resp);
    json_decref(resp);
    if (st != 200) {
        snprintf(err, errlen, "fetching blob %s: %s", hex,
                 st < 0 ? h->error : st == 404 ? "the gateway has no such blob" : "refused");
        return st == 404 ? -ENOENT : -EIO;
    }
    char got[65];
    jg_sha256_hex(h->body.data ? h->body.data : "", h->body.len, got);
    if (strcmp(got, hex) != 0) {
        snprintf(err, errlen, "blob %s: the bytes received hash to %s", hex, got);
        return -EBADMSG;
    }
    int rc = store(c, hex, h->body.data ? h->body.data : "", h->body.len);
    jg_buf_free(&h->body);
    if (rc) {
        snprintf(err, errlen, "caching blob %s: %s", hex, strerror(-rc));
        return rc;
    }
    fd = openat(c->dirfd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "blob %s: %s", hex, strerror(errno));
        return -errno;
    }
    return fd;
}

int ex_read_fd(int fd, size_t max, char **data, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st))
        return -errno;
    if ((uint64_t)st.st_size > max)
        return -EFBIG;
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return -ENOMEM;
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

int ex_cache_read(struct ex_cache *c, struct ex_http *h, const char *hex, char **data,
                  size_t *len, char *err, size_t errlen)
{
    int fd = ex_cache_open_blob(c, h, hex, err, errlen);
    if (fd < 0)
        return fd;
    int rc = ex_read_fd(fd, (size_t)1 << 31, data, len);
    close(fd);
    if (rc)
        snprintf(err, errlen, "reading blob %s: %s", hex, strerror(-rc));
    return rc;
}
