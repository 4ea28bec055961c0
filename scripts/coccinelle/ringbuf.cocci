// SPDX-License-Identifier: GPL-2.0
/// Every ring-buffer reservation must be submitted or discarded on every
/// path: bpf_ringbuf_reserve() returns a referenced record that only
/// bpf_ringbuf_submit() or bpf_ringbuf_discard() give back, and a
/// bpf_ringbuf_reserve_dynptr() must be followed by
/// bpf_ringbuf_submit_dynptr() or bpf_ringbuf_discard_dynptr() even when
/// the reservation failed. The verifier rejects the program otherwise, with
/// a message that does not say which path; this points at the return.
//
// Confidence: High
// Options: --no-includes --include-headers

virtual report

@leak exists@
local idexpression rec;
expression E;
statement S;
position p1, p2;
@@

rec@p1 = bpf_ringbuf_reserve(...);
... when != rec = E
if (\(!rec\|rec == NULL\)) S
... when != bpf_ringbuf_submit(rec, ...)
    when != bpf_ringbuf_discard(rec, ...)
    when != rec = E
return@p2 ...;

@script:python depends on report@
p1 << leak.p1;
p2 << leak.p2;
rec << leak.rec;
@@
coccilib.report.print_report(p2[0], "ring-buffer record %s reserved on line %s is neither submitted nor discarded on this path" % (rec, p1[0].line))

@leak_decl exists@
identifier rec;
type T;
expression E;
statement S;
position p1, p2;
@@

T rec@p1 = bpf_ringbuf_reserve(...);
... when != rec = E
if (\(!rec\|rec == NULL\)) S
... when != bpf_ringbuf_submit(rec, ...)
    when != bpf_ringbuf_discard(rec, ...)
    when != rec = E
return@p2 ...;

@script:python depends on report@
p1 << leak_decl.p1;
p2 << leak_decl.p2;
rec << leak_decl.rec;
@@
coccilib.report.print_report(p2[0], "ring-buffer record %s reserved on line %s is neither submitted nor discarded on this path" % (rec, p1[0].line))

@dynleak exists@
expression M, SZ, FL;
identifier dp;
position p1, p2;
@@

bpf_ringbuf_reserve_dynptr@p1(M, SZ, FL, &dp)
... when != bpf_ringbuf_submit_dynptr(&dp, ...)
    when != bpf_ringbuf_discard_dynptr(&dp, ...)
return@p2 ...;

@script:python depends on report@
p1 << dynleak.p1;
p2 << dynleak.p2;
dp << dynleak.dp;
@@
coccilib.report.print_report(p2[0], "ring-buffer dynptr %s reserved on line %s is neither submitted nor discarded on this path (required even when the reservation failed)" % (dp, p1[0].line))
