// SPDX-License-Identifier: GPL-2.0
/// The result of bpf_map_lookup_elem() (BPF side; it returns NULL for a
/// missing key, even in an array map when the index is out of range) must
/// be tested before it is dereferenced. The verifier rejects the program
/// ("R0 invalid mem access 'map_value_or_null'") but only when it is loaded;
/// this reports it at the source, on every kernel.
/// A dereference through ->, * or [] is reported when a path from the
/// lookup reaches it with no use of the pointer on the way, unless the
/// same expression tests it first (`!v || v->x`, `a || !v || v->x`, `v && v->x`,
/// `v ? v->x : y`).
//
// Confidence: High
// Options: --no-includes --include-headers

virtual report

@initialize:python@
@@
candidates = []
guarded = set()

def key(p):
	return (p.file, p.line, p.column)

@deref exists@
local idexpression v;
expression E, M, K;
identifier fld;
position p1, p2;
@@

v@p1 = bpf_map_lookup_elem(M, K);
... when != v = E
    when != v
(
 v@p2->fld
|
 *v@p2
|
 v@p2[...]
)

@deref_decl exists@
identifier v;
type T;
expression E, M, K;
identifier fld;
position p1, p2;
@@

T v@p1 = bpf_map_lookup_elem(M, K);
... when != v = E
    when != v
(
 v@p2->fld
|
 *v@p2
|
 v@p2[...]
)

@guard@
expression v;
expression E;
position g;
@@

(
 v == NULL || <+... v@g ...+>
|
 !v || <+... v@g ...+>
|
 v && <+... v@g ...+>
|
 v != NULL && <+... v@g ...+>
|
 v ? <+... v@g ...+> : E
)

// A test further left in a chain: `a || !v || v->x`, `a && v && v->x`.
@guard_chain@
expression v, L;
position g;
@@

(
 L || <+... v@g ...+>
|
 L && <+... v@g ...+>
)

@script:python depends on report@
g << guard_chain.g;
v << guard_chain.v;
L << guard_chain.L;
@@
import re
t = re.escape(v)
if re.search(r'(!\s*%s\b|\b%s\s*[!=]=\s*NULL|(^|&&\s*)%s\s*($|&&))' % (t, t, t), L):
	for p in g:
		guarded.add(key(p))

@script:python depends on report@
p1 << deref.p1;
p2 << deref.p2;
v << deref.v;
@@
candidates.append((p1, p2, v))

@script:python depends on report@
p1 << deref_decl.p1;
p2 << deref_decl.p2;
v << deref_decl.v;
@@
candidates.append((p1, p2, v))

@script:python depends on report@
g << guard.g;
@@
for p in g:
	guarded.add(key(p))

@finalize:python depends on report@
@@
seen = set()
for p1, p2, v in candidates:
	k = key(p2[0])
	if k in guarded or k in seen:
		continue
	seen.add(k)
	coccilib.report.print_report(p2[0], "%s from bpf_map_lookup_elem() on line %s is dereferenced before it is tested for NULL" % (v, p1[0].line))
