#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "testlib.h"
#include "util.h"
#include "banned.h"

static size_t
discard(char *p, size_t size, size_t n, void *cls)
{
	(void)p;
	(void)cls;
	return size * n;
}

/* 1 when GET URL/health answers 2xx within a few seconds. */
static int
health_answers(const char *url)
{
	char *health = xstrfmt("%s/health", url);
	CURL *c;
	CURLcode rc = CURLE_FAILED_INIT;

	if ((c = curl_easy_init()) != NULL) {
		curl_easy_setopt(c, CURLOPT_URL, health);
		curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		rc = curl_easy_perform(c);
		curl_easy_cleanup(c);
	}
	free(health);
	return rc == CURLE_OK;
}

char *
testlib_harper(const char *suite)
{
	char *url = getenv("HARPER_URL");
	const char *need = getenv("BQSYNC_REQUIRE_HARPER");
	int set = url != NULL && *url != '\0';

	if (set && health_answers(url))
		return url;
	if (need != NULL && *need != '\0') {
		fprintf(stderr, "%s: no Harper at %s, and BQSYNC_REQUIRE_HARPER "
		    "is set\n", suite, set ? url : "(HARPER_URL unset)");
		exit(EXIT_FAILURE);
	}
	printf("%s: skipped: no Harper at %s (its tests need a real Harper; "
	    "the e2e tier runs them)\n", suite,
	    set ? url : "(HARPER_URL unset)");
	return NULL;
}

void
testlib_tmpdir(char *dir, size_t n, const char *suite)
{
	snprintf(dir, n, "/tmp/%s.XXXXXX", suite);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		exit(EXIT_FAILURE);
	}
}

void
testlib_file_config(struct config *cfg, const char *dir)
{
	char *path = xstrfmt("%s/state.json", dir);

	config_init(cfg);
	config_set_str(&cfg->ckpt_store, "file");
	config_set_str(&cfg->ckpt_path, path);
	free(path);
}

void
testlib_rmdir(const char *dir)
{
	char *cmd = xstrfmt("rm -rf '%s'", dir);
	int rc = system(cmd);

	free(cmd);
	if (rc != 0) {
		fprintf(stderr, "could not remove %s\n", dir);
		exit(EXIT_FAILURE);
	}
}
