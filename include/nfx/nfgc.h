/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nfgrep compiler and program loader (libnfx). The compiler turns filter
 * files (man nfgrep(5)) into one struct nfg_prog; errors come back as
 * "file:line:col: message".
 */
#ifndef NFX_NFGC_H
#define NFX_NFGC_H

#include <stddef.h>
#include "nfgrep.h"

struct nfg_compiled {
	struct nfg_prog *prog;		/* proto[i].app_id = i + 1 until loaded */
	char names[NFG_MAX_PROTO][NFG_NAME_MAX];	/* "http", "http.youtube" */
};

#define NFG_ERR_MAX 512

/* Compile files (includes allowed). 0 or -errno with err filled. */
int nfg_compile_files(const char *const *files, int nfiles, struct nfg_compiled *out, char *err,
		      size_t errlen);
/* Compile one buffer; `include` is refused (used by the fuzzer). */
int nfg_compile_buf(const char *name, const char *buf, size_t len, struct nfg_compiled *out,
		    char *err, size_t errlen);
void nfg_compiled_free(struct nfg_compiled *c);

/* Serialised form written by `nfgrep compile` and read back by load. */
int nfg_write_blob(const struct nfg_compiled *c, const char *path);
int nfg_read_blob(const char *path, struct nfg_compiled *out, char *err, size_t errlen);
/* Sources or blobs, told apart by the magic. */
int nfg_load_any(const char *const *files, int nfiles, struct nfg_compiled *out, char *err,
		 size_t errlen);

/*
 * Install a compiled set into the maps: names are given app ids (an
 * existing name keeps its id), the program goes to the inactive slot of
 * nfx_nfg_prog, then one update of nfx_nfg_active switches to it. The
 * flows being classified restart under the new generation; classified
 * flows keep their app id.
 */
struct nfg_maps {
	int prog_fd;			/* nfx_nfg_prog */
	int active_fd;			/* nfx_nfg_active */
	int names_fd;			/* nfx_nfg_names */
};
int nfg_install(const struct nfg_maps *m, struct nfg_compiled *c);
/* The active program (caller frees *prog) and its slot. */
int nfg_active(const struct nfg_maps *m, struct nfg_prog **prog);
const char *nfg_step_cmp_str(int cmp);
/* Put the matcher program (nfx_nfgrep) in the pipeline's tail-call slot. */
int nfg_matcher_install(int jmp_fd, int matcher_prog_fd);

#endif /* NFX_NFGC_H */
