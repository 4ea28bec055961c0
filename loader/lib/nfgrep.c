// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nfgrep compiler: lexer, recursive-descent parser and code generator for
 * the filter language of nfgrep(5). The parser stops at the first error and
 * reports it as "file:line:col: message"; every limit of the bytecode is
 * checked here, so the datapath never sees a program it cannot run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <libgen.h>
#include <unistd.h>

#include "nfx/nfgc.h"
#include "internal.h"

#define NFG_INCLUDE_DEPTH 8
#define NFG_THEN_DEPTH 4
#define NFG_SRC_MAX (1 << 20)

enum tok_type {
	T_EOF,
	T_IDENT,
	T_NUM,
	T_STR,
	T_LBRACE,
	T_RBRACE,
	T_SEMI,
	T_COMMA,
	T_BAR,
	T_LBRACK,
	T_RBRACK,
	T_AMP,
	T_PLUS,
	T_CMP,
};

struct lexer {
	const char *file;
	const char *src;
	size_t len, pos;
	int line, col;
	/* current token */
	enum tok_type t;
	int tline, tcol;
	char text[NFG_TOK_MAX + 1];	/* identifier, or string bytes */
	int tlen;
	unsigned long long num;
	int cmp;
};

struct ast_alt {
	__u8 bytes[NFG_TOK_MAX];
	int len;
	bool nocase;
};

struct ast_step {
	int kind;
	int nalt;
	struct ast_alt alt[8];
	int anchor;			/* -1 none */
	bool rel;
	int within;			/* -1 unset */
	int width, le, off, cmp;
	__u32 mask, value;
};

struct ast_proto {
	char name[NFG_NAME_MAX];
	char file[256];
	int line, col;
	int l4;
	int nports;
	__u16 ports[NFG_MAX_PORTS];
	bool ports_only;
	int packets;
	int within;
	int nsteps[2];
	struct ast_step steps[2][NFG_MAX_DSTEPS];
	int nthen;
	char then[8][NFG_NAME_MAX];
	int then_line[8], then_col[8];
	bool is_child;
};

struct compiler {
	struct ast_proto *protos;
	int nprotos, cap;
	char *err;
	size_t errlen;
	bool failed;
	bool allow_include;
	int depth;
	/* code generation */
	struct nfg_compiled *out;
	int bits_used[NFG_WORDS];
};

static int cerr(struct compiler *c, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int cerr(struct compiler *c, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->failed)
		return -EINVAL;
	c->failed = true;
	n = snprintf(c->err, c->errlen, "%s:%d:%d: ", file, line, col);
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define LERR(c, lx, ...) cerr(c, (lx)->file, (lx)->tline, (lx)->tcol, __VA_ARGS__)

static int lx_peekc(struct lexer *lx, size_t ahead)
{
	return lx->pos + ahead < lx->len ? (unsigned char)lx->src[lx->pos + ahead] : -1;
}

static void lx_adv(struct lexer *lx)
{
	if (lx->pos >= lx->len)
		return;
	if (lx->src[lx->pos] == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->pos++;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Read the next token into lx; -EINVAL on a lexical error. */
static int lx_next(struct compiler *c, struct lexer *lx)
{
	int ch;

	for (;;) {
		ch = lx_peekc(lx, 0);
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			lx_adv(lx);
		} else if (ch == '#' || (ch == '/' && lx_peekc(lx, 1) == '/')) {
			while (lx_peekc(lx, 0) != -1 && lx_peekc(lx, 0) != '\n')
				lx_adv(lx);
		} else {
			break;
		}
	}
	lx->tline = lx->line;
	lx->tcol = lx->col;
	lx->tlen = 0;
	lx->text[0] = 0;
	if (ch == -1) {
		lx->t = T_EOF;
		return 0;
	}
	if (isalpha(ch) || ch == '_') {
		while ((ch = lx_peekc(lx, 0)) != -1 &&
		       (isalnum(ch) || ch == '_' || ch == '-' || ch == '.')) {
			if (lx->tlen >= NFG_NAME_MAX - 1)
				return LERR(c, lx, "name longer than %d characters",
					    NFG_NAME_MAX - 1);
			lx->text[lx->tlen++] = ch;
			lx_adv(lx);
		}
		lx->text[lx->tlen] = 0;
		lx->t = T_IDENT;
		return 0;
	}
	if (isdigit(ch)) {
		unsigned long long v = 0;
		int base = 10, d, ndig = 0;

		if (ch == '0' && (lx_peekc(lx, 1) == 'x' || lx_peekc(lx, 1) == 'X')) {
			base = 16;
			lx_adv(lx);
			lx_adv(lx);
		}
		while ((ch = lx_peekc(lx, 0)) != -1 && isalnum(ch)) {
			d = hexval(ch);
			if (d < 0 || d >= base)
				return LERR(c, lx, "bad digit '%c' in number", ch);
			v = v * base + d;
			if (v > 0xffffffffull)
				return LERR(c, lx, "number does not fit in 32 bits");
			ndig++;
			lx_adv(lx);
		}
		if (!ndig)
			return LERR(c, lx, "number without digits");
		lx->num = v;
		lx->t = T_NUM;
		return 0;
	}
	if (ch == '"') {
		lx_adv(lx);
		for (;;) {
			int b;

			ch = lx_peekc(lx, 0);
			if (ch == -1 || ch == '\n')
				return LERR(c, lx, "unterminated string");
			lx_adv(lx);
			if (ch == '"')
				break;
			b = ch;
			if (ch == '\\') {
				int e = lx_peekc(lx, 0);

				if (e == -1)
					return LERR(c, lx, "unterminated string");
				lx_adv(lx);
				switch (e) {
				case 'n':
					b = '\n';
					break;
				case 'r':
					b = '\r';
					break;
				case 't':
					b = '\t';
					break;
				case '0':
					b = 0;
					break;
				case '\\':
					b = '\\';
					break;
				case '"':
					b = '"';
					break;
				case 'x': {
					int h1 = hexval(lx_peekc(lx, 0)), h2;

					if (h1 < 0)
						return cerr(c, lx->file, lx->line, lx->col,
							    "\\x needs two hex digits");
					lx_adv(lx);
					h2 = hexval(lx_peekc(lx, 0));
					if (h2 < 0)
						return cerr(c, lx->file, lx->line, lx->col,
							    "\\x needs two hex digits");
					lx_adv(lx);
					b = h1 * 16 + h2;
					break;
				}
				default:
					return cerr(c, lx->file, lx->line, lx->col - 2,
						    "unknown escape '\\%c'", isprint(e) ? e : '?');
				}
			}
			if (lx->tlen >= NFG_TOK_MAX)
				return LERR(c, lx, "string longer than %d bytes", NFG_TOK_MAX);
			lx->text[lx->tlen++] = b;
		}
		lx->t = T_STR;
		return 0;
	}
	lx_adv(lx);
	switch (ch) {
	case '{':
		lx->t = T_LBRACE;
		return 0;
	case '}':
		lx->t = T_RBRACE;
		return 0;
	case ';':
		lx->t = T_SEMI;
		return 0;
	case ',':
		lx->t = T_COMMA;
		return 0;
	case '|':
		lx->t = T_BAR;
		return 0;
	case '[':
		lx->t = T_LBRACK;
		return 0;
	case ']':
		lx->t = T_RBRACK;
		return 0;
	case '&':
		lx->t = T_AMP;
		return 0;
	case '+':
		lx->t = T_PLUS;
		return 0;
	case '=':
	case '!':
		if (lx_peekc(lx, 0) != '=')
			return LERR(c, lx, "expected '%c='", ch);
		lx_adv(lx);
		lx->t = T_CMP;
		lx->cmp = ch == '=' ? NFG_EQ : NFG_NE;
		return 0;
	case '<':
	case '>':
		lx->t = T_CMP;
		if (lx_peekc(lx, 0) == '=') {
			lx_adv(lx);
			lx->cmp = ch == '<' ? NFG_LE : NFG_GE;
		} else {
			lx->cmp = ch == '<' ? NFG_LT : NFG_GT;
		}
		return 0;
	}
	return LERR(c, lx, "unexpected character '%c'", isprint(ch) ? ch : '?');
}

static const char *tok_name(enum tok_type t)
{
	static const char *const n[] = {
		"end of file", "name", "number", "string", "'{'", "'}'", "';'",
		"','",	       "'|'",  "'['",	 "']'",	   "'&'", "'+'", "comparison",
	};
	return n[t];
}

static int expect(struct compiler *c, struct lexer *lx, enum tok_type t)
{
	if (lx->t != t)
		return LERR(c, lx, "expected %s, found %s", tok_name(t), tok_name(lx->t));
	return lx_next(c, lx);
}

static bool is_kw(const struct lexer *lx, const char *kw)
{
	return lx->t == T_IDENT && !strcmp(lx->text, kw);
}

static int expect_num(struct compiler *c, struct lexer *lx, unsigned long long max,
		      const char *what, unsigned long long *v)
{
	*v = 0;
	if (lx->t != T_NUM)
		return LERR(c, lx, "expected %s, found %s", what, tok_name(lx->t));
	if (lx->num > max)
		return LERR(c, lx, "%s %llu is larger than %llu", what, lx->num, max);
	*v = lx->num;
	return lx_next(c, lx);
}

static int parse_file(struct compiler *c, const char *file, const char *src, size_t len);

static int parse_token_step(struct compiler *c, struct lexer *lx, struct ast_step *s)
{
	unsigned long long v;
	int err;

	s->kind = NFG_S_TOKEN;
	s->anchor = -1;
	s->within = -1;
	for (;;) {
		struct ast_alt *a;
		bool nocase = false;

		if (is_kw(lx, "nocase")) {
			nocase = true;
			if ((err = lx_next(c, lx)))
				return err;
		}
		if (lx->t != T_STR)
			return LERR(c, lx, "expected a string, found %s", tok_name(lx->t));
		if (!lx->tlen)
			return LERR(c, lx, "empty string");
		if (s->nalt >= 8)
			return LERR(c, lx, "more than 8 alternatives in one step");
		a = &s->alt[s->nalt++];
		memcpy(a->bytes, lx->text, lx->tlen);
		a->len = lx->tlen;
		a->nocase = nocase;
		if ((err = lx_next(c, lx)))
			return err;
		if (lx->t != T_BAR)
			break;
		if ((err = lx_next(c, lx)))
			return err;
	}
	for (;;) {
		if (is_kw(lx, "at")) {
			if (s->anchor >= 0)
				return LERR(c, lx, "'at' given twice");
			if ((err = lx_next(c, lx)))
				return err;
			if (lx->t == T_PLUS) {
				s->rel = true;
				if ((err = lx_next(c, lx)))
					return err;
			}
			if ((err = expect_num(c, lx, 65535 - NFG_TOK_MAX, "offset", &v)))
				return err;
			s->anchor = v;
		} else if (is_kw(lx, "within")) {
			if (s->within >= 0)
				return LERR(c, lx, "'within' given twice");
			if ((err = lx_next(c, lx)))
				return err;
			if ((err = expect_num(c, lx, 65535, "byte count", &v)))
				return err;
			if (!v)
				return cerr(c, lx->file, lx->tline, lx->tcol,
					    "'within 0' can never match");
			s->within = v;
		} else {
			break;
		}
	}
	return expect(c, lx, T_SEMI);
}

static int parse_field_step(struct compiler *c, struct lexer *lx, struct ast_step *s)
{
	unsigned long long v, max;
	int err;

	s->kind = NFG_S_FIELD;
	s->le = lx->text[0] == 'l';
	s->width = !strcmp(lx->text, "u8")				   ? 1 :
		   (!strcmp(lx->text, "u16") || !strcmp(lx->text, "le16")) ? 2 :
									     4;
	max = s->width == 4 ? 0xffffffffull : (1ull << (8 * s->width)) - 1;
	s->mask = max;
	if ((err = lx_next(c, lx)) || (err = expect(c, lx, T_LBRACK)))
		return err;
	if ((err = expect_num(c, lx, NFG_HEAD - s->width, "field offset", &v)))
		return err;
	s->off = v;
	if ((err = expect(c, lx, T_RBRACK)))
		return err;
	if (lx->t == T_AMP) {
		if ((err = lx_next(c, lx)) || (err = expect_num(c, lx, max, "mask", &v)))
			return err;
		s->mask = v;
	}
	if (lx->t != T_CMP)
		return LERR(c, lx, "expected a comparison, found %s", tok_name(lx->t));
	s->cmp = lx->cmp;
	if ((err = lx_next(c, lx)) || (err = expect_num(c, lx, max, "value", &v)))
		return err;
	s->value = v;
	return expect(c, lx, T_SEMI);
}

static int parse_len_step(struct compiler *c, struct lexer *lx, struct ast_step *s)
{
	unsigned long long v;
	int err;

	s->kind = NFG_S_LEN;
	if ((err = lx_next(c, lx)))
		return err;
	if (lx->t != T_CMP)
		return LERR(c, lx, "expected a comparison after 'len', found %s", tok_name(lx->t));
	s->cmp = lx->cmp;
	if ((err = lx_next(c, lx)) || (err = expect_num(c, lx, 65535, "length", &v)))
		return err;
	s->value = v;
	return expect(c, lx, T_SEMI);
}

static int parse_steps(struct compiler *c, struct lexer *lx, struct ast_proto *p, int dir)
{
	int err;

	if ((err = lx_next(c, lx)) || (err = expect(c, lx, T_LBRACE)))
		return err;
	while (lx->t != T_RBRACE) {
		struct ast_step *s;

		if (lx->t == T_EOF)
			return LERR(c, lx, "missing '}' of the %s block",
				    dir ? "server" : "client");
		if (p->nsteps[dir] >= NFG_MAX_DSTEPS)
			return LERR(c, lx, "more than %d steps in one direction", NFG_MAX_DSTEPS);
		s = &p->steps[dir][p->nsteps[dir]++];
		memset(s, 0, sizeof(*s));
		if (lx->t == T_STR || is_kw(lx, "nocase"))
			err = parse_token_step(c, lx, s);
		else if (is_kw(lx, "u8") || is_kw(lx, "u16") || is_kw(lx, "u32") ||
			 is_kw(lx, "le16") || is_kw(lx, "le32"))
			err = parse_field_step(c, lx, s);
		else if (is_kw(lx, "len"))
			err = parse_len_step(c, lx, s);
		else
			return LERR(
				c, lx,
				"expected a step (string, u8/u16/u32/le16/le32 field or len), found %s",
				tok_name(lx->t));
		if (err)
			return err;
	}
	return lx_next(c, lx);
}

/* Lower-case words joined by dots: "youtube", "tls.youtube". */
static bool name_ok(const char *n)
{
	const char *s = n;

	for (; *n; n++) {
		if (*n == '.') {
			if (n == s || n[-1] == '.' || !n[1])
				return false;
			continue;
		}
		if (!(islower((unsigned char)*n) || isdigit((unsigned char)*n) || *n == '_' ||
		      *n == '-'))
			return false;
	}
	return true;
}

static int parse_protocol(struct compiler *c, struct lexer *lx)
{
	struct ast_proto *p;
	unsigned long long v;
	int err, i;
	bool seen_dir[2] = { false, false };

	if ((err = lx_next(c, lx)))
		return err;
	if (lx->t != T_IDENT)
		return LERR(c, lx, "expected a protocol name, found %s", tok_name(lx->t));
	if (!name_ok(lx->text))
		return LERR(
			c, lx,
			"protocol name '%s': use lower case letters, digits, '_', '-' and inner dots",
			lx->text);
	for (i = 0; i < c->nprotos; i++)
		if (!strcmp(c->protos[i].name, lx->text))
			return LERR(c, lx, "protocol '%s' already defined at %s:%d:%d", lx->text,
				    c->protos[i].file, c->protos[i].line, c->protos[i].col);
	if (c->nprotos >= NFG_MAX_PROTO)
		return LERR(c, lx, "more than %d protocols", NFG_MAX_PROTO);
	if (c->nprotos == c->cap) {
		int ncap = c->cap ? c->cap * 2 : 16;
		struct ast_proto *np = realloc(c->protos, ncap * sizeof(*np));

		if (!np)
			return LERR(c, lx, "out of memory");
		c->protos = np;
		c->cap = ncap;
	}
	p = &c->protos[c->nprotos++];
	memset(p, 0, sizeof(*p));
	memcpy(p->name, lx->text, strlen(lx->text) + 1);	/* < NFG_NAME_MAX: lexer limit */
	snprintf(p->file, sizeof(p->file), "%s", lx->file);
	p->line = lx->tline;
	p->col = lx->tcol;
	p->within = NFG_DEF_WITHIN;
	p->packets = NFG_DEF_PACKETS;
	if ((err = lx_next(c, lx)) || (err = expect(c, lx, T_LBRACE)))
		return err;
	while (lx->t != T_RBRACE) {
		if (lx->t == T_EOF)
			return LERR(c, lx, "missing '}' of protocol '%s'", p->name);
		if (is_kw(lx, "transport")) {
			if ((err = lx_next(c, lx)))
				return err;
			if (is_kw(lx, "tcp"))
				p->l4 = 6;
			else if (is_kw(lx, "udp"))
				p->l4 = 17;
			else if (is_kw(lx, "any"))
				p->l4 = 0;
			else
				return LERR(c, lx, "transport is tcp, udp or any");
			if ((err = lx_next(c, lx)) || (err = expect(c, lx, T_SEMI)))
				return err;
		} else if (is_kw(lx, "ports")) {
			if (p->nports)
				return LERR(c, lx, "'ports' given twice");
			do {
				if ((err = lx_next(c, lx)))
					return err;
				if (p->nports >= NFG_MAX_PORTS)
					return LERR(c, lx, "more than %d ports", NFG_MAX_PORTS);
				if ((err = expect_num(c, lx, 65535, "port", &v)))
					return err;
				p->ports[p->nports++] = v;
			} while (lx->t == T_COMMA);
			if (is_kw(lx, "only")) {
				p->ports_only = true;
				if ((err = lx_next(c, lx)))
					return err;
			}
			if ((err = expect(c, lx, T_SEMI)))
				return err;
		} else if (is_kw(lx, "packets") || is_kw(lx, "within")) {
			bool pk = lx->text[0] == 'p';

			if ((err = lx_next(c, lx)))
				return err;
			if ((err = expect_num(c, lx, pk ? 255 : 65535,
					      pk ? "packet count" : "byte count", &v)))
				return err;
			if (!v)
				return cerr(c, lx->file, lx->tline, lx->tcol,
					    "a limit of 0 can never match");
			if (pk)
				p->packets = v;
			else
				p->within = v;
			if ((err = expect(c, lx, T_SEMI)))
				return err;
		} else if (is_kw(lx, "client") || is_kw(lx, "server")) {
			int dir = lx->text[0] == 's';

			if (seen_dir[dir])
				return LERR(c, lx, "second '%s' block", lx->text);
			seen_dir[dir] = true;
			if ((err = parse_steps(c, lx, p, dir)))
				return err;
		} else if (is_kw(lx, "then")) {
			do {
				if ((err = lx_next(c, lx)))
					return err;
				if (lx->t != T_IDENT)
					return LERR(
						c, lx,
						"expected a protocol name after 'then', found %s",
						tok_name(lx->t));
				if (p->nthen >= 8)
					return LERR(c, lx, "more than 8 sub-protocols");
				memcpy(p->then[p->nthen], lx->text, strlen(lx->text) + 1);
				p->then_line[p->nthen] = lx->tline;
				p->then_col[p->nthen] = lx->tcol;
				p->nthen++;
				if ((err = lx_next(c, lx)))
					return err;
			} while (lx->t == T_COMMA);
			if ((err = expect(c, lx, T_SEMI)))
				return err;
		} else {
			return LERR(
				c, lx,
				"expected transport, ports, packets, within, client, server or then; found %s%s%s",
				tok_name(lx->t), lx->t == T_IDENT ? " " : "",
				lx->t == T_IDENT ? lx->text : "");
		}
	}
	if (!p->nsteps[0] && !p->nsteps[1])
		return LERR(c, lx, "protocol '%s' has no step", p->name);
	return lx_next(c, lx);
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *b = NULL, *nb;
	int err = 0;

	*buf = NULL;
	*len = 0;
	if (!f)
		return errno ? -errno : -EIO;
	for (;;) {
		size_t r;

		nb = realloc(b, cap);
		if (!nb) {
			err = -ENOMEM;
			break;
		}
		b = nb;
		r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f))
				err = -EIO;
			break;
		}
		if (n == cap) {
			if (cap >= NFG_SRC_MAX) {
				err = -EFBIG;
				break;
			}
			cap *= 2;
		}
	}
	fclose(f);
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int parse_include(struct compiler *c, struct lexer *lx)
{
	char path[4096], dirbuf[4096], *src = NULL;
	size_t len;
	int err, line = lx->tline, col = lx->tcol;

	if ((err = lx_next(c, lx)))
		return err;
	if (lx->t != T_STR)
		return LERR(c, lx, "expected a file name string after 'include'");
	if (!c->allow_include)
		return LERR(c, lx, "include is not allowed here");
	if (memchr(lx->text, 0, lx->tlen))
		return LERR(c, lx, "file name contains a NUL byte");
	lx->text[lx->tlen] = 0;
	if (lx->text[0] == '/') {
		snprintf(path, sizeof(path), "%s", lx->text);
	} else {
		snprintf(dirbuf, sizeof(dirbuf), "%s", lx->file);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dirname(dirbuf), lx->text) >=
		    sizeof(path))
			return LERR(c, lx, "include path too long");
	}
	if (c->depth >= NFG_INCLUDE_DEPTH)
		return cerr(c, lx->file, line, col, "includes nested deeper than %d (a cycle?)",
			    NFG_INCLUDE_DEPTH);
	err = read_file(path, &src, &len);
	if (err)
		return cerr(c, lx->file, line, col, "cannot read %s: %s", path, strerror(-err));
	c->depth++;
	err = parse_file(c, path, src, len);
	c->depth--;
	free(src);
	if (err)
		return err;
	if ((err = lx_next(c, lx)))
		return err;
	return expect(c, lx, T_SEMI);
}

static int parse_file(struct compiler *c, const char *file, const char *src, size_t len)
{
	struct lexer lx = { .file = file, .src = src, .len = len, .line = 1, .col = 1 };
	int err;

	if ((err = lx_next(c, &lx)))
		return err;
	while (lx.t != T_EOF) {
		if (is_kw(&lx, "protocol"))
			err = parse_protocol(c, &lx);
		else if (is_kw(&lx, "include"))
			err = parse_include(c, &lx);
		else
			return LERR(c, &lx, "expected 'protocol' or 'include', found %s",
				    tok_name(lx.t));
		if (err)
			return err;
	}
	return 0;
}

/* ---- code generation ---- */

static struct ast_proto *find_proto(struct compiler *c, const char *name)
{
	int i;

	for (i = 0; i < c->nprotos; i++)
		if (!strcmp(c->protos[i].name, name))
			return &c->protos[i];
	return NULL;
}

static void set_mask(struct nfg_prog *pg, int byte, int w, int bit)
{
	pg->mask[byte & 255][w] |= 1ull << bit;
}

static int gen_token(struct compiler *c, const struct ast_proto *ap, int pidx, int dir, int step,
		     const struct ast_alt *a)
{
	struct nfg_prog *pg = c->out->prog;
	int w, i, first;

	if (pg->ntok >= NFG_MAX_TOK)
		return cerr(c, ap->file, ap->line, ap->col, "more than %d tokens in all",
			    NFG_MAX_TOK);
	for (w = 0; w < NFG_WORDS; w++)
		if (64 - c->bits_used[w] >= a->len)
			break;
	if (w == NFG_WORDS)
		return cerr(c, ap->file, ap->line, ap->col, "tokens take more than %d bytes in all",
			    NFG_BITS);
	first = c->bits_used[w];
	c->bits_used[w] += a->len;
	pg->start[w] |= 1ull << first;
	pg->final[w] |= 1ull << (first + a->len - 1);
	pg->bit_tok[w * 64 + first + a->len - 1] = pg->ntok;
	if (w + 1 > pg->nwords)
		pg->nwords = w + 1;
	for (i = 0; i < a->len; i++) {
		int b = a->bytes[i];

		set_mask(pg, b, w, first + i);
		if (a->nocase && isalpha(b))
			set_mask(pg, b ^ 0x20, w, first + i);
	}
	pg->tok[pg->ntok].proto = pidx;
	pg->tok[pg->ntok].dir = dir;
	pg->tok[pg->ntok].step = step;
	pg->tok[pg->ntok].len = a->len;
	pg->ntok++;
	return 0;
}

/* Every alternative inside the head at a fixed offset? */
static bool head_literal(const struct ast_step *as)
{
	int k;

	if (as->anchor < 0 || as->rel)
		return false;
	for (k = 0; k < as->nalt; k++)
		if (as->anchor + as->alt[k].len > NFG_HEAD)
			return false;
	return true;
}

static int gen_head(struct compiler *c, const struct ast_proto *ap, struct nfg_step *s,
		    const struct ast_step *as)
{
	struct nfg_prog *pg = c->out->prog;
	int k, i;

	if (pg->nlit + as->nalt > NFG_MAX_LIT)
		return cerr(c, ap->file, ap->line, ap->col,
			    "more than %d literals at fixed offsets", NFG_MAX_LIT);
	s->kind = NFG_S_HEAD;
	s->off = pg->nlit;
	s->width = as->nalt;
	for (k = 0; k < as->nalt; k++) {
		struct nfg_lit *l = &pg->lit[pg->nlit++];
		__u8 *v = (__u8 *)l->value, *m = (__u8 *)l->mask;

		for (i = 0; i < as->alt[k].len; i++) {
			int b = as->alt[k].bytes[i];
			bool fold = as->alt[k].nocase && isalpha(b);

			/* byte order of the words is the head's: compare as memory */
			v[as->anchor + i] = fold ? (b & ~0x20) : b;
			m[as->anchor + i] = fold ? 0xdf : 0xff;
		}
		l->need = as->anchor + as->alt[k].len;
		l->end = l->need;
	}
	return 0;
}

static int gen_proto(struct compiler *c, struct ast_proto *ap, int parent, const char *prefix,
		     int depth, int line, int col, const char *file)
{
	struct nfg_prog *pg = c->out->prog;
	struct nfg_proto *np;
	int pidx, dir, i, k, err;
	char name[NFG_NAME_MAX * 2];
	const char *base;

	if (depth > NFG_THEN_DEPTH)
		return cerr(c, file, line, col, "'then' chain deeper than %d (a cycle?)",
			    NFG_THEN_DEPTH);
	if (pg->nproto >= NFG_MAX_PROTO)
		return cerr(c, file, line, col,
			    "more than %d protocols once sub-protocols are expanded",
			    NFG_MAX_PROTO);
	base = strrchr(ap->name, '.');
	base = base ? base + 1 : ap->name;
	snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", base);
	if (strlen(name) >= NFG_NAME_MAX)
		return cerr(c, file, line, col, "name '%s' longer than %d", name, NFG_NAME_MAX - 1);
	pidx = pg->nproto++;
	memcpy(c->out->names[pidx], name, strlen(name) + 1);
	np = &pg->proto[pidx];
	np->app_id = pidx + 1;
	np->parent = parent < 0 ? NFG_PARENT_NONE : parent;
	np->l4 = ap->l4;
	np->nports = ap->nports;
	np->flags = (ap->ports_only ? NFG_PF_PORTS_ONLY : 0) | (ap->nthen ? NFG_PF_HAS_CHILD : 0);
	for (i = 0; i < ap->nports; i++)
		np->ports[i] = ap->ports[i];
	np->packets = ap->packets;
	if (ap->packets > pg->max_packets)
		pg->max_packets = ap->packets;
	if (ap->within > pg->max_bytes)
		pg->max_bytes = ap->within;
	for (dir = 0; dir < 2; dir++) {
		np->step0[dir] = pg->nstep;
		np->nsteps[dir] = ap->nsteps[dir];
		for (i = 0; i < ap->nsteps[dir]; i++) {
			const struct ast_step *as = &ap->steps[dir][i];
			struct nfg_step *s;

			if (pg->nstep >= NFG_MAX_STEP)
				return cerr(c, ap->file, ap->line, ap->col,
					    "more than %d steps in all", NFG_MAX_STEP);
			s = &pg->step[pg->nstep++];
			s->kind = as->kind;
			s->cmp = as->cmp;
			if (as->kind == NFG_S_TOKEN && head_literal(as)) {
				if ((err = gen_head(c, ap, s, as)))
					return err;
			} else if (as->kind == NFG_S_TOKEN) {
				s->off = as->anchor < 0 ? NFG_ANCHOR_NONE : as->anchor;
				s->rel = as->rel;
				s->within = as->within > 0 ? as->within :
							     (as->anchor < 0 ? ap->within : 0);
				for (k = 0; k < as->nalt; k++)
					if ((err = gen_token(c, ap, pidx, dir, i, &as->alt[k])))
						return err;
				if (s->within > pg->max_bytes)
					pg->max_bytes = s->within;
			} else if (as->kind == NFG_S_FIELD) {
				s->width = as->width;
				s->flags = as->le ? NFG_F_LE : 0;
				s->off = as->off;
				s->mask = as->mask;
				s->value = as->value;
			} else {
				s->value = as->value;
			}
		}
	}
	for (i = 0; i < ap->nthen; i++) {
		struct ast_proto *child;
		char scoped[NFG_NAME_MAX * 2 + 2];

		/* "then x" inside p means p.x when that exists, else x. */
		snprintf(scoped, sizeof(scoped), "%s.%s", ap->name, ap->then[i]);
		child = find_proto(c, scoped);
		if (!child)
			child = find_proto(c, ap->then[i]);

		if (!child)
			return cerr(c, ap->file, ap->then_line[i], ap->then_col[i],
				    "unknown protocol '%s' after 'then'", ap->then[i]);
		if ((err = gen_proto(c, child, pidx, name, depth + 1, ap->then_line[i],
				     ap->then_col[i], ap->file)))
			return err;
	}
	return 0;
}

static int compile_finish(struct compiler *c)
{
	struct nfg_prog *pg;
	int i, j, k, err;

	for (i = 0; i < c->nprotos; i++)
		for (j = 0; j < c->protos[i].nthen; j++) {
			char scoped[NFG_NAME_MAX * 2 + 2];
			struct ast_proto *ch;

			snprintf(scoped, sizeof(scoped), "%s.%s", c->protos[i].name,
				 c->protos[i].then[j]);
			ch = find_proto(c, scoped);
			if (!ch)
				ch = find_proto(c, c->protos[i].then[j]);
			if (ch)
				ch->is_child = true;
		}
	/* A dotted name is a sub-protocol even when nothing names it. */
	for (k = 0; k < c->nprotos; k++)
		if (strchr(c->protos[k].name, '.'))
			c->protos[k].is_child = true;
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return -ENOMEM;
	c->out->prog = pg;
	pg->magic = NFG_MAGIC;
	pg->version = NFG_VERSION;
	for (i = 0; i < c->nprotos; i++) {
		if (c->protos[i].is_child)
			continue;
		err = gen_proto(c, &c->protos[i], -1, "", 0, c->protos[i].line, c->protos[i].col,
				c->protos[i].file);
		if (err)
			return err;
	}
	if (!pg->nproto && c->nprotos)
		return cerr(c, c->protos[0].file, c->protos[0].line, c->protos[0].col,
			    "every protocol is a sub-protocol: nothing to match first");
	return 0;
}

static int compile_end(struct compiler *c, int err, struct nfg_compiled *out)
{
	if (!err && !c->failed)
		err = compile_finish(c);
	if (err && !c->failed)
		snprintf(c->err, c->errlen, "%s", strerror(-err));
	free(c->protos);
	if (err || c->failed) {
		nfg_compiled_free(out);
		return err ? err : -EINVAL;
	}
	return 0;
}

int nfg_compile_buf(const char *name, const char *buf, size_t len, struct nfg_compiled *out,
		    char *err, size_t errlen)
{
	struct compiler c = { .err = err, .errlen = errlen, .out = out };
	int ret;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = 0;
	ret = parse_file(&c, name, buf, len);
	return compile_end(&c, ret, out);
}

int nfg_compile_files(const char *const *files, int nfiles, struct nfg_compiled *out, char *err,
		      size_t errlen)
{
	struct compiler c = { .err = err, .errlen = errlen, .out = out, .allow_include = true };
	int i, ret = 0;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = 0;
	for (i = 0; i < nfiles && !ret; i++) {
		char *src;
		size_t len;

		ret = read_file(files[i], &src, &len);
		if (ret) {
			snprintf(err, errlen, "%s: %s", files[i], strerror(-ret));
			c.failed = true;
			break;
		}
		ret = parse_file(&c, files[i], src, len);
		free(src);
	}
	return compile_end(&c, ret, out);
}

void nfg_compiled_free(struct nfg_compiled *c)
{
	free(c->prog);
	c->prog = NULL;
}

/* Blob: the program followed by the name table, both as in memory. */
int nfg_write_blob(const struct nfg_compiled *c, const char *path)
{
	FILE *f = fopen(path, "wb");
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(c->prog, sizeof(*c->prog), 1, f) != 1 ||
	    fwrite(c->names, sizeof(c->names), 1, f) != 1)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

static int blob_check(const struct nfg_compiled *c)
{
	const struct nfg_prog *p = c->prog;
	int i;

	if (p->magic != NFG_MAGIC || p->version != NFG_VERSION || p->nproto > NFG_MAX_PROTO ||
	    p->nwords > NFG_WORDS || p->ntok > NFG_MAX_TOK || p->nstep > NFG_MAX_STEP)
		return -EINVAL;
	for (i = 0; i < p->nproto; i++)
		if (p->proto[i].step0[0] + p->proto[i].nsteps[0] > p->nstep ||
		    p->proto[i].step0[1] + p->proto[i].nsteps[1] > p->nstep ||
		    (p->proto[i].parent != NFG_PARENT_NONE && p->proto[i].parent >= i) ||
		    !memchr(c->names[i], 0, NFG_NAME_MAX))
			return -EINVAL;
	for (i = 0; i < p->ntok; i++)
		if (p->tok[i].proto >= p->nproto || p->tok[i].dir > 1 ||
		    p->tok[i].step >= p->proto[p->tok[i].proto].nsteps[p->tok[i].dir])
			return -EINVAL;
	return 0;
}

int nfg_read_blob(const char *path, struct nfg_compiled *out, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = read_file(path, &buf, &len);
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (len != sizeof(struct nfg_prog) + sizeof(out->names)) {
		snprintf(err, errlen, "%s: not a compiled nfgrep program of this version", path);
		free(buf);
		return -EINVAL;
	}
	out->prog = malloc(sizeof(*out->prog));
	if (!out->prog) {
		free(buf);
		return -ENOMEM;
	}
	memcpy(out->prog, buf, sizeof(*out->prog));
	memcpy(out->names, buf + sizeof(*out->prog), sizeof(out->names));
	free(buf);
	if (blob_check(out)) {
		snprintf(err, errlen, "%s: corrupt compiled nfgrep program", path);
		nfg_compiled_free(out);
		return -EINVAL;
	}
	return 0;
}

int nfg_load_any(const char *const *files, int nfiles, struct nfg_compiled *out, char *err,
		 size_t errlen)
{
	__u32 magic = 0;
	FILE *f;

	if (nfiles == 1 && (f = fopen(files[0], "rb"))) {
		size_t r = fread(&magic, sizeof(magic), 1, f);

		fclose(f);
		if (r == 1 && magic == NFG_MAGIC)
			return nfg_read_blob(files[0], out, err, errlen);
	}
	return nfg_compile_files(files, nfiles, out, err, errlen);
}

const char *nfg_step_cmp_str(int cmp)
{
	static const char *const s[] = { "==", "!=", "<", "<=", ">", ">=" };

	return cmp >= 0 && cmp < 6 ? s[cmp] : "?";
}
