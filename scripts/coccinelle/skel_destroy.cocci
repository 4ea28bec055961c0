// SPDX-License-Identifier: GPL-2.0
/// Every libbpf object the loader opens is destroyed on every path that
/// does not hand it on: a skeleton from X__open(), X__open_opts() or
/// X__open_and_load() needs X__destroy(), a bpf_object from
/// bpf_object__open*() needs bpf_object__close(). A leaked object keeps its
/// maps and programs (and their file descriptors) alive for as long as the
/// process runs, which for libnfx users is forever. Handing it on means
/// returning it or storing it somewhere (`link->skel = skel`, `*out = skel`).
//
// Confidence: Moderate (an object freed by a helper that is not one of the
// destructors above is reported; name the helper X__destroy or close it here)
// Options: --no-includes --include-headers

virtual report

@leak exists@
local idexpression obj;
identifier open =~ "(__open|__open_opts|__open_and_load|^bpf_object__open|^bpf_object__open_file|^bpf_object__open_mem)$";
identifier destroy =~ "(__destroy|^bpf_object__close)$";
expression E, E2;
statement S;
position p1, p2;
@@

obj@p1 = open(...);
... when != obj = E
if (\(!obj\|obj == NULL\|libbpf_get_error(obj)\|IS_ERR_OR_NULL(obj)\)) S
... when != destroy(obj)
    when != obj = E
    when != E2 = obj
(
return obj;
|
return@p2 ...;
)

@script:python depends on report@
p1 << leak.p1;
p2 << leak.p2;
obj << leak.obj;
@@
coccilib.report.print_report(p2[0], "libbpf object %s opened on line %s is not destroyed on this path" % (obj, p1[0].line))

@leak_decl exists@
identifier obj;
type T;
identifier open =~ "(__open|__open_opts|__open_and_load|^bpf_object__open|^bpf_object__open_file|^bpf_object__open_mem)$";
identifier destroy =~ "(__destroy|^bpf_object__close)$";
expression E, E2;
statement S;
position p1, p2;
@@

T obj@p1 = open(...);
... when != obj = E
if (\(!obj\|obj == NULL\|libbpf_get_error(obj)\|IS_ERR_OR_NULL(obj)\)) S
... when != destroy(obj)
    when != obj = E
    when != E2 = obj
(
return obj;
|
return@p2 ...;
)

@script:python depends on report@
p1 << leak_decl.p1;
p2 << leak_decl.p2;
obj << leak_decl.obj;
@@
coccilib.report.print_report(p2[0], "libbpf object %s opened on line %s is not destroyed on this path" % (obj, p1[0].line))
