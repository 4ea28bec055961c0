// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The JSON writer behind every -j: commas, nesting, escaping. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nfx/json.h"
#include "../lib/tap.h"

static char *render(void (*fn)(struct json_writer *))
{
	static char out[1024];
	FILE *f = fmemopen(out, sizeof(out), "w");
	struct json_writer *jw;

	if (!f)
		return NULL;
	jw = jw_new(f, false);
	fn(jw);
	jw_free(jw);
	fclose(f);
	return out;
}

static void nested(struct json_writer *jw)
{
	jw_obj_start(jw);
	jw_kstr(jw, "name", "a\"b\\c\n\x01");
	jw_key(jw, "list");
	jw_arr_start(jw);
	jw_u64(jw, 1);
	jw_s64(jw, -2);
	jw_obj_start(jw);
	jw_obj_end(jw);
	jw_arr_start(jw);
	jw_arr_end(jw);
	jw_arr_end(jw);
	jw_kbool(jw, "ok", true);
	jw_kdouble(jw, "x", 0.5);
	jw_key(jw, "n");
	jw_null(jw);
	jw_obj_end(jw);
}

static void top_array(struct json_writer *jw)
{
	jw_arr_start(jw);
	jw_obj_start(jw);
	jw_ku64(jw, "a", 18446744073709551615ull);
	jw_obj_end(jw);
	jw_obj_start(jw);
	jw_kdouble(jw, "nan", NAN);
	jw_obj_end(jw);
	jw_arr_end(jw);
}

TEST(nesting_and_escapes)
{
	ASSERT_STREQ(
		render(nested),
		"{\"name\":\"a\\\"b\\\\c\\n\\u0001\",\"list\":[1,-2,{},[]],\"ok\":true,\"x\":0.5,\"n\":null}\n",
		"rendered");
}

TEST(arrays_of_objects_and_extremes)
{
	ASSERT_STREQ(render(top_array), "[{\"a\":18446744073709551615},{\"nan\":null}]\n",
		     "rendered");
}

int main(void)
{
	return tap_run();
}
