/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A small streaming JSON writer for -j output. */
#ifndef NFX_JSON_H
#define NFX_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct json_writer;

struct json_writer *jw_new(FILE *f, bool pretty);
void jw_free(struct json_writer *jw);	/* ends with a newline */
void jw_obj_start(struct json_writer *jw);
void jw_obj_end(struct json_writer *jw);
void jw_arr_start(struct json_writer *jw);
void jw_arr_end(struct json_writer *jw);
void jw_key(struct json_writer *jw, const char *key);
void jw_str(struct json_writer *jw, const char *s);
void jw_u64(struct json_writer *jw, __u64 v);
void jw_s64(struct json_writer *jw, __s64 v);
void jw_double(struct json_writer *jw, double v);
void jw_bool(struct json_writer *jw, bool v);
void jw_null(struct json_writer *jw);

/* key + value in one call */
void jw_kstr(struct json_writer *jw, const char *key, const char *s);
void jw_ku64(struct json_writer *jw, const char *key, __u64 v);
void jw_ks64(struct json_writer *jw, const char *key, __s64 v);
void jw_kdouble(struct json_writer *jw, const char *key, double v);
void jw_kbool(struct json_writer *jw, const char *key, bool v);

#endif /* NFX_JSON_H */
