/* A bounded connect check of an HTTP server (libcurl, connect only). */
#include "harness/http_probe.h"

#include <curl/curl.h>
#include <errno.h>

int pb_http_probe(const char *url, long timeout_ms, struct pb_err *err)
{
    CURL *h = curl_easy_init();
    if (!h)
        return pb_err_set(err, -ENOMEM, "cannot create a libcurl handle");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (rc == CURLE_OK)
        return 0;
    if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
        return pb_err_set(err, -EINVAL, "'%s' is not a URL libcurl accepts", url);
    return pb_err_set(err, -EHOSTUNREACH,
                      "the server at %s did not accept a connection within %ld ms: %s", url,
                      timeout_ms, curl_easy_strerror(rc));
}
