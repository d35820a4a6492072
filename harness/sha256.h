/* SHA-256 (libcrypto's), for what a document fingerprints: a plug-in's file, a command's output. */
#ifndef PB_SHA256_H
#define PB_SHA256_H

#include <stddef.h>

#define PB_SHA256_HEX 65 /* 64 hex digits and the terminator */

struct pb_sha256 {
    void *ctx; /* libcrypto's EVP_MD_CTX */
};

/* 0, or -ENOMEM. */
int pb_sha256_init(struct pb_sha256 *h);
void pb_sha256_update(struct pb_sha256 *h, const void *data, size_t len);
/* The digest as lowercase hex into hex[PB_SHA256_HEX]; frees the context. */
void pb_sha256_final(struct pb_sha256 *h, char hex[PB_SHA256_HEX]);
/* The digest of a whole file: 0, or -errno (cannot open or read it). */
int pb_sha256_file(const char *path, char hex[PB_SHA256_HEX]);

#endif
