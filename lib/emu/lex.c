/*
 * emusql: the GoogleSQL tokenizer.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "emusql_int.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Tokenizer                                                            */

struct lexer {
	const char	*s;
	size_t		 i;
	int		 line, linestart;
};

static int
lex_string(struct lexer *lx, int raw, struct strbuf *out)
{
	char q = lx->s[lx->i++];
	const char *s = lx->s;

	for (;;) {
		char c = s[lx->i];

		if (c == '\0' || c == '\n')
			return -1;
		lx->i++;
		if (c == q)
			return 0;
		if (c == '\\' && !raw) {
			c = s[lx->i++];
			switch (c) {
			case 'n': strbuf_addch(out, '\n'); break;
			case 't': strbuf_addch(out, '\t'); break;
			case 'r': strbuf_addch(out, '\r'); break;
			case '0': strbuf_addch(out, '\0'); break;
			case '\\': case '\'': case '"': case '`': case '?':
				strbuf_addch(out, c);
				break;
			default:
				return -1;
			}
		} else if (c == '\\' && raw) {
			strbuf_addch(out, c);
			if (s[lx->i] == q || s[lx->i] == '\\')
				strbuf_addch(out, s[lx->i++]);
		} else
			strbuf_addch(out, c);
	}
}

/* Splits sql into tokens; returns the count or -1 (err set). */
int
emusql_lex(const char *sql, struct tok **out, size_t *n, struct bq_err *err)
{
	struct lexer lx = { sql, 0, 1, 0 };
	struct tok *t = NULL;
	size_t nt = 0, at = 0;
	const char *s = sql;

	for (;;) {
		struct tok k;
		struct strbuf sb = STRBUF_INIT;
		char c;
		size_t st;

		while (s[lx.i]) {
			c = s[lx.i];
			if (c == '\n') {
				lx.line++;
				lx.linestart = (int)lx.i + 1;
				lx.i++;
			} else if (isspace((unsigned char)c))
				lx.i++;
			else if (c == '#' || (c == '-' && s[lx.i + 1] == '-')) {
				while (s[lx.i] && s[lx.i] != '\n')
					lx.i++;
			} else if (c == '/' && s[lx.i + 1] == '*') {
				const char *e = strstr(s + lx.i + 2, "*/");

				if (e == NULL)
					goto bad;
				for (; s + lx.i < e + 2; lx.i++)
					if (s[lx.i] == '\n') {
						lx.line++;
						lx.linestart = (int)lx.i + 1;
					}
			} else
				break;
		}
		memset(&k, 0, sizeof(k));
		k.line = lx.line;
		k.col = (int)lx.i - lx.linestart + 1;
		c = s[lx.i];
		st = lx.i;
		if (c == '\0') {
			k.k = TK_EOF;
			k.v = xstrdup("");
		} else if ((c == 'r' || c == 'R' || c == 'b' || c == 'B') &&
		    (s[lx.i + 1] == '\'' || s[lx.i + 1] == '"' ||
		    ((s[lx.i + 1] == 'r' || s[lx.i + 1] == 'R' ||
		    s[lx.i + 1] == 'b' || s[lx.i + 1] == 'B') &&
		    (s[lx.i + 2] == '\'' || s[lx.i + 2] == '"')))) {
			int raw = 0, bytes = 0;

			while (s[lx.i] != '\'' && s[lx.i] != '"') {
				if (s[lx.i] == 'r' || s[lx.i] == 'R')
					raw = 1;
				else
					bytes = 1;
				lx.i++;
			}
			if (lex_string(&lx, raw, &sb) == -1)
				goto bad;
			k.k = bytes ? TK_BYTES : TK_STRING;
			k.len = sb.len;
			k.v = sb.buf ? strbuf_detach(&sb, NULL) : xstrdup("");
		} else if (isalpha((unsigned char)c) || c == '_') {
			while (isalnum((unsigned char)s[lx.i]) || s[lx.i] == '_')
				lx.i++;
			k.k = TK_IDENT;
			k.v = xstrndup(s + st, lx.i - st);
		} else if (c == '`') {
			const char *e = strchr(s + lx.i + 1, '`');

			if (e == NULL || e == s + lx.i + 1)
				goto bad;
			k.k = TK_QIDENT;
			k.v = xstrndup(s + lx.i + 1, (size_t)(e - s - lx.i - 1));
			lx.i = (size_t)(e - s) + 1;
		} else if (c == '\'' || c == '"') {
			if (lex_string(&lx, 0, &sb) == -1)
				goto bad;
			k.k = TK_STRING;
			k.len = sb.len;
			k.v = sb.buf ? strbuf_detach(&sb, NULL) : xstrdup("");
		} else if (isdigit((unsigned char)c) ||
		    (c == '.' && isdigit((unsigned char)s[lx.i + 1]))) {
			k.k = TK_INT;
			if (c == '0' && (s[lx.i + 1] == 'x' || s[lx.i + 1] == 'X')) {
				lx.i += 2;
				while (isxdigit((unsigned char)s[lx.i]))
					lx.i++;
			} else {
				while (isdigit((unsigned char)s[lx.i]))
					lx.i++;
				if (s[lx.i] == '.') {
					k.k = TK_FLOAT;
					lx.i++;
					while (isdigit((unsigned char)s[lx.i]))
						lx.i++;
				}
				if (s[lx.i] == 'e' || s[lx.i] == 'E') {
					k.k = TK_FLOAT;
					lx.i++;
					if (s[lx.i] == '+' || s[lx.i] == '-')
						lx.i++;
					if (!isdigit((unsigned char)s[lx.i]))
						goto bad;
					while (isdigit((unsigned char)s[lx.i]))
						lx.i++;
				}
			}
			if (isalpha((unsigned char)s[lx.i]) || s[lx.i] == '_')
				goto bad;
			k.v = xstrndup(s + st, lx.i - st);
		} else if (c == '@' && (isalpha((unsigned char)s[lx.i + 1]) ||
		    s[lx.i + 1] == '_')) {
			lx.i++;
			while (isalnum((unsigned char)s[lx.i]) || s[lx.i] == '_')
				lx.i++;
			k.k = TK_PARAM;
			k.v = xstrndup(s + st + 1, lx.i - st - 1);
		} else if (c == '?') {
			lx.i++;
			k.k = TK_QMARK;
			k.v = xstrdup("?");
		} else {
			static const char *two[] = { "<=", ">=", "<>", "!=",
			    "||", "<<", ">>" };
			size_t j;

			k.k = TK_OP;
			for (j = 0; j < sizeof(two) / sizeof(two[0]); j++)
				if (strncmp(s + lx.i, two[j], 2) == 0)
					break;
			if (j < sizeof(two) / sizeof(two[0]))
				lx.i += 2;
			else if (strchr("(),.;=<>+-*/[]~&|^", c))
				lx.i++;
			else
				goto bad;
			k.v = xstrndup(s + st, lx.i - st);
		}
		if (nt == at) {
			at = at ? at * 2 : 32;
			t = xrealloc(t, at * sizeof(*t));
		}
		t[nt++] = k;
		if (k.k == TK_EOF)
			break;
		continue;
bad:
		strbuf_release(&sb);
		bq_err_set(err, EXIT_DATA, "Syntax error: Unexpected "
		    "character at [%d:%d]", lx.line,
		    (int)lx.i - lx.linestart + 1);
		err->http_status = 400;
		while (nt > 0)
			free(t[--nt].v);
		free(t);
		return -1;
	}
	*out = t;
	*n = nt;
	return 0;
}
