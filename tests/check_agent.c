#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "config.h"
#include "control.h"
#include "metrics.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

/* A cluster_status answer: self, then "name:1" (connected) or "name:0". */
static cJSON *
status(const char *self, const char *peers)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = peers;
	size_t l;
	cJSON *j;

	strbuf_adds(&sb, "{\"type\":\"cluster-status\",");
	if (self != NULL)
		strbuf_addf(&sb, "\"node_name\":\"%s\",", self);
	strbuf_adds(&sb, "\"connections\":[");
	while (p != NULL && *p) {
		l = strcspn(p, ",");
		strbuf_addf(&sb, "%s{\"name\":\"%.*s\",\"database_sockets\":["
		    "{\"database\":\"system\",\"connected\":%s},"
		    "{\"database\":\"data\",\"connected\":%s}]}",
		    p == peers ? "" : ",", (int)l - 2, p,
		    p[l - 1] == '1' ? "true" : "false",
		    p[l - 1] == '1' ? "true" : "false");
		p += l + (p[l] == ',');
	}
	strbuf_adds(&sb, "]}");
	j = cJSON_Parse(sb.buf);
	ck_assert_ptr_nonnull(j);
	strbuf_release(&sb);
	return j;
}

START_TEST(test_topo_counts_connected_peers)
{
	struct agent_topo *t = agent_topo_new();
	cJSON *st = status("node2", "node1:1,node3:0");
	char *self;
	long i, n;

	agent_topo_update(t, st, "host", 0, 120, &i, &n, &self);
	ck_assert_str_eq(self, "node2");
	ck_assert_int_eq(n, 2);		/* node3 never connected */
	ck_assert_int_eq(i, 1);		/* node1-0 < node2-0 */
	free(self);
	cJSON_Delete(st);
	agent_topo_free(t);
}
END_TEST

START_TEST(test_topo_grace)
{
	struct agent_topo *t = agent_topo_new();
	cJSON *up = status("node1", "node2:1,node3:1");
	cJSON *down = status("node1", "node2:1,node3:0");
	char *self;
	long i, n;

	agent_topo_update(t, up, "h", 10, 120, &i, &n, &self);
	ck_assert_int_eq(n, 3);
	free(self);
	/* node3 gone for 60 s: still counted */
	agent_topo_update(t, down, "h", 70, 120, &i, &n, &self);
	ck_assert_int_eq(n, 3);
	free(self);
	/* gone for longer than the grace: N drops */
	agent_topo_update(t, down, "h", 131, 120, &i, &n, &self);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(i, 0);
	free(self);
	/* back: counted at once */
	agent_topo_update(t, up, "h", 132, 120, &i, &n, &self);
	ck_assert_int_eq(n, 3);
	free(self);
	cJSON_Delete(up);
	cJSON_Delete(down);
	agent_topo_free(t);
}
END_TEST

START_TEST(test_topo_standalone)
{
	struct agent_topo *t = agent_topo_new();
	cJSON *st = cJSON_Parse("{\"connections\":[]}");
	char *self;
	long i, n;

	agent_topo_update(t, st, "myhost", 0, 120, &i, &n, &self);
	ck_assert_str_eq(self, "myhost");
	ck_assert_int_eq(i, 0);
	ck_assert_int_eq(n, 1);
	free(self);
	cJSON_Delete(st);
	agent_topo_free(t);
}
END_TEST

START_TEST(test_peer_connected)
{
	cJSON *c = cJSON_Parse("{\"name\":\"a\"}");

	ck_assert_int_eq(agent_peer_connected(c), 0);
	cJSON_Delete(c);
	c = cJSON_Parse("{\"database_sockets\":[{\"connected\":false},"
	    "{\"connected\":true}]}");
	ck_assert_int_eq(agent_peer_connected(c), 1);
	cJSON_Delete(c);
}
END_TEST

START_TEST(test_backoff)
{
	ck_assert(agent_backoff(0, 1, 300, 0) == 0.5);
	ck_assert(agent_backoff(0, 1, 300, 0.999) < 1.0);
	ck_assert(agent_backoff(3, 1, 300, 0) == 4);
	ck_assert(agent_backoff(3, 1, 300, 0.5) == 6);
	ck_assert(agent_backoff(20, 1, 300, 0) == 150);	/* capped */
	ck_assert(agent_backoff(1000, 1, 300, 0.999) < 300);
}
END_TEST

START_TEST(test_status_rules)
{
	int ok[3] = { 0, 0, 0 }, pipe_first[3] = { 141, 75, 0 };
	int both[3] = { 78, 65, 0 }, sig[3] = { 141, 0, 0 };

	ck_assert_int_eq(agent_pipeline_status(ok), 0);
	ck_assert_int_eq(agent_pipeline_status(pipe_first), 75);
	ck_assert_int_eq(agent_pipeline_status(both), 78);
	ck_assert_int_eq(agent_pipeline_status(sig), 141);
	ck_assert(agent_is_fatal(77) && agent_is_fatal(78));
	ck_assert(!agent_is_fatal(75) && !agent_is_fatal(1));
}
END_TEST

START_TEST(test_paths)
{
	char *p;

	p = agent_tool_path("/bin", "sh");
	ck_assert_str_eq(p, "/bin/sh");
	free(p);
	p = agent_tool_path("/nonexistent", "sh");
	ck_assert_str_eq(p, "sh");
	free(p);
	p = agent_lock_path("/var/lib/bqsync/state.json", "a/b", 1, 3);
	ck_assert_str_eq(p, "/var/lib/bqsync/.bq-sync.a_b.1of3.lock");
	free(p);
	p = agent_lock_path("state.json", "t", 0, 1);
	ck_assert_str_eq(p, ".bq-sync.t.0of1.lock");
	free(p);
}
END_TEST

START_TEST(test_ack_line)
{
	long long rows = 0;
	int cu = 0;

	ck_assert_int_eq(agent_ack_line("{\"table\":\"t\",\"rows\":5,"
	    "\"total\":5,\"cursor\":null}", &rows, &cu), 0);
	ck_assert_int_eq(rows, 5);
	ck_assert_int_eq(cu, 0);
	ck_assert_int_eq(agent_ack_line("{\"table\":\"t\",\"rows\":0,"
	    "\"cursor\":\"2025-01-01T00:00:00Z\",\"newer\":false}", &rows,
	    &cu), 0);
	ck_assert_int_eq(cu, 1);
	ck_assert_int_eq(agent_ack_line("not json", &rows, &cu), -1);
}
END_TEST

START_TEST(test_run)
{
	struct strbuf out = STRBUF_INIT;
	char *cat[] = { (char *)"cat", NULL };
	char *f[] = { (char *)"false", NULL };
	char *none[] = { (char *)"no-such-tool-here", NULL };

	ck_assert_int_eq(agent_run(NULL, cat, "hello\n", &out), 0);
	ck_assert_str_eq(out.buf, "hello\n");
	ck_assert_int_eq(agent_run(NULL, f, NULL, NULL), 1);
	ck_assert_int_eq(agent_run(NULL, none, NULL, NULL), 127);
	strbuf_release(&out);
}
END_TEST

/* A job whose lock another process holds does not start (EXIT_TEMPFAIL). */
START_TEST(test_job_lock)
{
	struct agent_env env = { NULL, NULL, "/tmp/check_agent.state", 1 };
	struct agent_job j;
	struct bq_err err = BQ_ERR_INIT;
	char *lp = agent_lock_path(env.ckpt_path, "t", 0, 1);
	int fd = open(lp, O_RDWR | O_CREAT, 0644);
	pid_t pid;
	int p[2];
	char c;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {	/* another process holds the lock */
		flock(fd, LOCK_EX);
		c = 1;
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fd);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	agent_job_init(&j, "t", 0, 1, "h-0");
	ck_assert_int_eq(agent_job_start(&j, &env, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "another bq-sync runs it"));
	agent_job_release(&j);
	kill(pid, SIGKILL);
	unlink(lp);
	free(lp);
}
END_TEST

START_TEST(test_control_decide)
{
	cJSON *r = cJSON_Parse("[{\"id\":\"*\",\"action\":\"stop\"},"
	    "{\"id\":\"b\",\"action\":\"start\"}]");

	ck_assert_int_eq(control_decide(r, "a"), 1);
	ck_assert_int_eq(control_decide(r, "b"), 0);	/* own record wins */
	cJSON_Delete(r);
	r = cJSON_Parse("[]");
	ck_assert_int_eq(control_decide(r, "a"), 0);	/* no record: runs */
	cJSON_Delete(r);
	r = cJSON_Parse("[{\"id\":\"a\",\"action\":\"stop\"}]");
	ck_assert_int_eq(control_decide(r, "a"), 1);
	ck_assert_int_eq(control_decide(r, "c"), 0);
	cJSON_Delete(r);
}
END_TEST

START_TEST(test_metrics)
{
	struct config cfg;
	struct ckpt_record r;
	struct strbuf sb = STRBUF_INIT;

	config_init(&cfg);
	ckpt_record_init(&r, "vp", 1, 3);
	r.worker = xstrdup("node\"2-1");
	r.has_cursor = 1;
	r.cursor = 1000000000;
	r.records = 42;
	metrics_prometheus(&r, 1, &cfg, 1010000000, &sb);
	ck_assert_ptr_nonnull(strstr(sb.buf, "# TYPE bqsync_lag_seconds gauge\n"
	    "bqsync_lag_seconds{table=\"vp\",worker=\"1/3\","
	    "name=\"node\\\"2-1\"} 10.000\n"));
	ck_assert_ptr_nonnull(strstr(sb.buf,
	    "bqsync_rows_ingested_total{table=\"vp\",worker=\"1/3\","
	    "name=\"node\\\"2-1\"} 42\n"));
	ck_assert_ptr_nonnull(strstr(sb.buf, ",phase=\"steady\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(sb.buf, ",phase=\"initial\"} 0\n"));
	strbuf_release(&sb);
	ckpt_record_release(&r);
	config_release(&cfg);
}
END_TEST

START_TEST(test_config_relative_paths)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	char dir[] = "/tmp/check_agent.XXXXXX", path[64];
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	fp = fopen(path, "w");
	fputs("checkpoint:\n  path: st.json\nbigquery:\n  credentials: "
	    "key.json\nsync:\n  topologyInterval: 5s\n  topologyGrace: 1m\n",
	    fp);
	fclose(fp);
	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	ck_assert_int_eq(config_load(&cfg, path, &err), 0);
	ck_assert_str_eq(cfg.ckpt_path + strlen(dir), "/st.json");
	ck_assert_str_eq(cfg.credentials + strlen(dir), "/key.json");
	ck_assert(cfg.sync.topology_interval == 5);
	ck_assert(cfg.sync.topology_grace == 60);
	config_release(&cfg);
	unlink(path);
	rmdir(dir);
}
END_TEST

CHECK_TESTS("agent", 0,
    test_topo_counts_connected_peers,
    test_topo_grace,
    test_topo_standalone,
    test_peer_connected,
    test_backoff,
    test_status_rules,
    test_paths,
    test_ack_line,
    test_run,
    test_job_lock,
    test_control_decide,
    test_metrics,
    test_config_relative_paths)
