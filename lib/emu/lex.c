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
/* Skips blanks and comments; -1 for an unterminated comment. */
static int
skip_space(struct lexer *lx)
{
	const char *s = lx->s;
	char c;

	while ((c = s[lx->i]) != '\0') {
		if (c == '\n') {
			lx->line++;
			lx->linestart = (int)lx->i + 1;
			lx->i++;
		} else if (isspace((unsigned char)c))
			lx->i++;
		else if (c == '#' || (c == '-' && s[lx->i + 1] == '-')) {
			while (s[lx->i] && s[lx->i] != '\n')
				lx->i++;
		} else if (c == '/' && s[lx->i + 1] == '*') {
			const char *e = strstr(s + lx->i + 2, "*/");

			if (e == NULL)
				return -1;
			for (; s + lx->i < e + 2; lx->i++)
				if (s[lx->i] == '\n') {
					lx->line++;
					lx->linestart = (int)lx->i + 1;
				}
		} else
			break;
	}
	return 0;
}

/* 1 if s starts a prefixed literal: r'', b'', rb'', br'' (any case). */
static int
is_prefixed_literal(const char *s)
{
	return s[0] && strchr("rRbB", s[0]) && (s[1] == '\'' || s[1] == '"' ||
	    (s[1] && strchr("rRbB", s[1]) && (s[2] == '\'' || s[2] == '"')));
}

/* A string or bytes literal, after an optional r/b prefix. */
static int
lex_literal(struct lexer *lx, struct tok *k)
{
	struct strbuf sb = STRBUF_INIT;
	int raw = 0, bytes = 0;

	while (lx->s[lx->i] != '\'' && lx->s[lx->i] != '"') {
		if (lx->s[lx->i] == 'r' || lx->s[lx->i] == 'R')
			raw = 1;
		else
			bytes = 1;
		lx->i++;
	}
	if (lex_string(lx, raw, &sb) == -1) {
		strbuf_release(&sb);
		return -1;
	}
	k->k = bytes ? TK_BYTES : TK_STRING;
	k->len = sb.len;
	k->v = strbuf_detach(&sb, NULL);
	return 0;
}

static void
skip_digits(struct lexer *lx)
{
	while (isdigit((unsigned char)lx->s[lx->i]))
		lx->i++;
}

/* An integer (decimal or 0x hex) or a float (1.5, .5, 1e3, 2.E-3). */
static int
lex_number(struct lexer *lx, struct tok *k)
{
	const char *s = lx->s;
	size_t st = lx->i;

	k->k = TK_INT;
	if (s[lx->i] == '0' && (s[lx->i + 1] == 'x' || s[lx->i + 1] == 'X')) {
		lx->i += 2;
		while (isxdigit((unsigned char)s[lx->i]))
			lx->i++;
	} else {
		skip_digits(lx);
		if (s[lx->i] == '.') {
			k->k = TK_FLOAT;
			lx->i++;
			skip_digits(lx);
		}
		if (s[lx->i] == 'e' || s[lx->i] == 'E') {
			k->k = TK_FLOAT;
			lx->i++;
			if (s[lx->i] == '+' || s[lx->i] == '-')
				lx->i++;
			if (!isdigit((unsigned char)s[lx->i]))
				return -1;
			skip_digits(lx);
		}
	}
	if (isalpha((unsigned char)s[lx->i]) || s[lx->i] == '_')
		return -1;
	k->v = xstrndup(s + st, lx->i - st);
	return 0;
}

/* An operator: one of the two-character ones, else one character. */
static int
lex_op(struct lexer *lx, struct tok *k)
{
	static const char *two[] = { "<=", ">=", "<>", "!=", "||", "<<",
	    ">>" };
	const char *s = lx->s + lx->i;
	size_t j;

	k->k = TK_OP;
	for (j = 0; j < sizeof(two) / sizeof(two[0]); j++)
		if (strncmp(s, two[j], 2) == 0)
			break;
	if (j < sizeof(two) / sizeof(two[0]))
		lx->i += 2;
	else if (strchr("(),.;=<>+-*/[]~&|^", *s))
		lx->i++;
	else
		return -1;
	k->v = xstrndup(s, (size_t)(lx->s + lx->i - s));
	return 0;
}

static int
is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The token at lx->i (blanks skipped) into k; -1 if there is none. */
static int
lex_one(struct lexer *lx, struct tok *k)
{
	const char *s = lx->s;
	size_t st = lx->i;
	char c = s[st];

	if (c == '\0') {
		k->k = TK_EOF;
		k->v = xstrdup("");
	} else if (is_prefixed_literal(s + st) || c == '\'' || c == '"')
		return lex_literal(lx, k);
	else if (isalpha((unsigned char)c) || c == '_') {
		while (is_word(s[lx->i]))
			lx->i++;
		k->k = TK_IDENT;
		k->v = xstrndup(s + st, lx->i - st);
	} else if (c == '`') {
		const char *e = strchr(s + st + 1, '`');

		if (e == NULL || e == s + st + 1)
			return -1;
		k->k = TK_QIDENT;
		k->v = xstrndup(s + st + 1, (size_t)(e - s) - st - 1);
		lx->i = (size_t)(e - s) + 1;
	} else if (isdigit((unsigned char)c) ||
	    (c == '.' && isdigit((unsigned char)s[st + 1])))
		return lex_number(lx, k);
	else if (c == '@' && (isalpha((unsigned char)s[st + 1]) ||
	    s[st + 1] == '_')) {
		lx->i++;
		while (is_word(s[lx->i]))
			lx->i++;
		k->k = TK_PARAM;
		k->v = xstrndup(s + st + 1, lx->i - st - 1);
	} else if (c == '?') {
		lx->i++;
		k->k = TK_QMARK;
		k->v = xstrdup("?");
	} else
		return lex_op(lx, k);
	return 0;
}

int
emusql_lex(const char *sql, struct tok **out, size_t *n, struct bq_err *err)
{
	struct lexer lx = { sql, 0, 1, 0 };
	struct tok *t = NULL, k;
	size_t nt = 0, at = 0;

	do {
		memset(&k, 0, sizeof(k));
		if (skip_space(&lx) == -1)
			goto bad;
		k.line = lx.line;
		k.col = (int)lx.i - lx.linestart + 1;
		if (lex_one(&lx, &k) == -1)
			goto bad;
		if (nt == at) {
			at = at ? at * 2 : 32;
			t = xrealloc(t, at * sizeof(*t));
		}
		t[nt++] = k;
	} while (k.k != TK_EOF);
	*out = t;
	*n = nt;
	return 0;
bad:
	bq_err_set(err, EXIT_DATA, "Syntax error: Unexpected character at "
	    "[%d:%d]", lx.line, (int)lx.i - lx.linestart + 1);
	err->http_status = 400;
	while (nt > 0)
		free(t[--nt].v);
	free(t);
	return -1;
}
