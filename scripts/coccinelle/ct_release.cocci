// SPDX-License-Identifier: GPL-2.0
/// Every kernel conntrack reference a BPF program takes must be given back
/// on every path: bpf_{xdp,skb}_ct_lookup() and bpf_{xdp,skb}_ct_alloc()
/// return a referenced struct nf_conn; bpf_ct_release() drops it and
/// bpf_ct_insert_entry() consumes an allocated one. The verifier refuses a
/// program that leaks one, but only on the kernel it loads on and only with
/// an opaque "Unreleased reference" message; this finds the path at the
/// source. Passing the reference back with `return` hands it to the caller.
//
// Confidence: High
// Options: --no-includes --include-headers

virtual report

@leak exists@
local idexpression ct;
expression E;
statement S;
position p1, p2;
@@

ct@p1 = \(bpf_xdp_ct_lookup\|bpf_skb_ct_lookup\|bpf_xdp_ct_alloc\|bpf_skb_ct_alloc\)(...);
... when != ct = E
if (\(!ct\|ct == NULL\)) S
... when != bpf_ct_release(ct)
    when != bpf_ct_insert_entry(ct, ...)
    when != ct = E
(
return ct;
|
return@p2 ...;
)

@script:python depends on report@
p1 << leak.p1;
p2 << leak.p2;
ct << leak.ct;
@@
coccilib.report.print_report(p2[0], "conntrack reference %s taken on line %s is not released on this path (bpf_ct_release)" % (ct, p1[0].line))

@leak_decl exists@
identifier ct;
type T;
expression E;
statement S;
position p1, p2;
@@

T ct@p1 = \(bpf_xdp_ct_lookup\|bpf_skb_ct_lookup\|bpf_xdp_ct_alloc\|bpf_skb_ct_alloc\)(...);
... when != ct = E
if (\(!ct\|ct == NULL\)) S
... when != bpf_ct_release(ct)
    when != bpf_ct_insert_entry(ct, ...)
    when != ct = E
(
return ct;
|
return@p2 ...;
)

@script:python depends on report@
p1 << leak_decl.p1;
p2 << leak_decl.p2;
ct << leak_decl.ct;
@@
coccilib.report.print_report(p2[0], "conntrack reference %s taken on line %s is not released on this path (bpf_ct_release)" % (ct, p1[0].line))
