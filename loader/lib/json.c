// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Streaming JSON writer: tracks nesting only to place commas. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "nfx/json.h"

#define JW_DEPTH 32

struct json_writer {
	FILE *f;
	bool pretty;
	int depth;
	bool first[JW_DEPTH];	/* no element written yet at this level */
	bool after_key;
};

struct json_writer *jw_new(FILE *f, bool pretty)
{
	struct json_writer *jw = calloc(1, sizeof(*jw));

	if (jw) {
		jw->f = f;
		jw->pretty = pretty;
		jw->first[0] = true;
	}
	return jw;
}

void jw_free(struct json_writer *jw)
{
	if (!jw)
		return;
	fputc('\n', jw->f);
	fflush(jw->f);
	free(jw);
}

static void indent(struct json_writer *jw)
{
	int i;

	if (!jw->pretty)
		return;
	fputc('\n', jw->f);
	for (i = 0; i < jw->depth; i++)
		fputs("  ", jw->f);
}

/* Separator before a value or key at the current level. */
static void sep(struct json_writer *jw)
{
	if (jw->after_key) {
		jw->after_key = false;
		return;
	}
	if (!jw->first[jw->depth])
		fputc(',', jw->f);
	jw->first[jw->depth] = false;
	if (jw->depth)
		indent(jw);
}

static void open_level(struct json_writer *jw, char c)
{
	sep(jw);
	fputc(c, jw->f);
	if (jw->depth < JW_DEPTH - 1)
		jw->depth++;
	jw->first[jw->depth] = true;
}

static void close_level(struct json_writer *jw, char c)
{
	bool empty = jw->first[jw->depth];

	if (jw->depth)
		jw->depth--;
	if (!empty)
		indent(jw);
	fputc(c, jw->f);
}

void jw_obj_start(struct json_writer *jw)
{
	open_level(jw, '{');
}
void jw_obj_end(struct json_writer *jw)
{
	close_level(jw, '}');
}
void jw_arr_start(struct json_writer *jw)
{
	open_level(jw, '[');
}
void jw_arr_end(struct json_writer *jw)
{
	close_level(jw, ']');
}

static void put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void jw_key(struct json_writer *jw, const char *key)
{
	sep(jw);
	put_string(jw->f, key);
	fputs(jw->pretty ? ": " : ":", jw->f);
	jw->after_key = true;
}

void jw_str(struct json_writer *jw, const char *s)
{
	sep(jw);
	put_string(jw->f, s ? s : "");
}

void jw_u64(struct json_writer *jw, __u64 v)
{
	sep(jw);
	fprintf(jw->f, "%" PRIu64, (uint64_t)v);
}

void jw_s64(struct json_writer *jw, __s64 v)
{
	sep(jw);
	fprintf(jw->f, "%" PRId64, (int64_t)v);
}

void jw_double(struct json_writer *jw, double v)
{
	sep(jw);
	if (isfinite(v))
		fprintf(jw->f, "%.6g", v);
	else
		fputs("null", jw->f);
}

void jw_bool(struct json_writer *jw, bool v)
{
	sep(jw);
	fputs(v ? "true" : "false", jw->f);
}

void jw_null(struct json_writer *jw)
{
	sep(jw);
	fputs("null", jw->f);
}

void jw_kstr(struct json_writer *jw, const char *k, const char *s)
{
	jw_key(jw, k);
	jw_str(jw, s);
}
void jw_ku64(struct json_writer *jw, const char *k, __u64 v)
{
	jw_key(jw, k);
	jw_u64(jw, v);
}
void jw_ks64(struct json_writer *jw, const char *k, __s64 v)
{
	jw_key(jw, k);
	jw_s64(jw, v);
}
void jw_kdouble(struct json_writer *jw, const char *k, double v)
{
	jw_key(jw, k);
	jw_double(jw, v);
}
void jw_kbool(struct json_writer *jw, const char *k, bool v)
{
	jw_key(jw, k);
	jw_bool(jw, v);
}
