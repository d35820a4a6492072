#include "harness/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/evp.h>

int pb_sha256_init(struct pb_sha256 *h)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        h->ctx = NULL;
        return -ENOMEM;
    }
    h->ctx = c;
    return 0;
}

void pb_sha256_update(struct pb_sha256 *h, const void *data, size_t len)
{
    EVP_DigestUpdate(h->ctx, data, len);
}

void pb_sha256_final(struct pb_sha256 *h, char hex[PB_SHA256_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(h->ctx, md, &len);
    for (unsigned i = 0; i < len && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

int pb_sha256_file(const char *path, char hex[PB_SHA256_HEX])
{
    struct pb_sha256 h;
    char buf[1 << 16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = pb_sha256_init(&h);
    ssize_t n = 0;
    while (rc == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        pb_sha256_update(&h, buf, (size_t)n);
    }
    close(fd);
    if (h.ctx)
        pb_sha256_final(&h, hex);
    return rc;
}
